"""Which reads of a daily run are pruned: compile the project for BigQuery offline as an
incremental run of one day (SHOP_ANALYTICS_START_DATE/END_DATE), parse every incremental
model with sqlglot and report, for each read of a large relation (raw Etsy tables and the
base views over them, stg_etsy__*, fct_*), whether the SELECT reading it prunes on the
relation's partition column: a top-level AND term of its WHERE compares that column (raw:
_airbyte_extracted_at, the column Airbyte's BigQuery destination partitions on; models:
their partition_by field). A partition predicate inside an OR prunes nothing.

    .venv/bin/python bench/daily_read_pruning.py [--day 2026-01-03]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import sqlglot
from sqlglot import exp

REPO = Path(__file__).resolve().parents[1]
OFFLINE_COMPILE = REPO / "tests" / "dbt" / "bigquery_offline_compile.py"
RAW_PARTITION_COLUMN = "_airbyte_extracted_at"


def compile_daily_run(target_path: Path, day: dt.date) -> dict:
    environment = {
        **os.environ,
        "SHOP_ANALYTICS_START_DATE": day.isoformat(),
        "SHOP_ANALYTICS_END_DATE": (day + dt.timedelta(days=1)).isoformat(),
    }
    completed = subprocess.run(
        [sys.executable, str(OFFLINE_COMPILE), str(target_path), "--existing"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
    )
    if completed.returncode != 0:
        raise SystemExit(f"offline BigQuery compile failed:\n{completed.stdout[-3000:]}{completed.stderr[-3000:]}")
    return json.loads((target_path / "manifest.json").read_text())


def large_relations(manifest: dict) -> dict[str, str]:
    """Table name -> its partition column, for every relation a daily run must prune."""
    relations = {}
    for source in manifest["sources"].values():
        if source["source_name"] == "etsy":
            relations[source["identifier"]] = RAW_PARTITION_COLUMN
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model" and node["name"].startswith("base_etsy__"):
            relations[node["alias"]] = RAW_PARTITION_COLUMN
        partition = (node["config"].get("partition_by") or {}).get("field")
        if node["resource_type"] == "model" and partition and node["name"].startswith(("stg_etsy__", "fct_")):
            relations[node["alias"]] = partition
    return relations


def reads(sql: str, relations: dict[str, str]) -> list[tuple[str, bool]]:
    """(relation, filtered on its partition column) for every read of a large relation."""
    found = []
    for table in sqlglot.parse_one(sql, read="bigquery").find_all(exp.Table):
        partition_column = relations.get(table.name)
        # A CTE reference has no dataset; relations always do.
        if partition_column is None or not table.db:
            continue
        select = table.find_ancestor(exp.Select)
        where = select.args.get("where") if select else None
        filtered = where is not None and prunes_on(where.this.unnest(), partition_column)
        found.append((table.name, filtered))
    return found


def prunes_on(term: exp.Expression, partition_column: str) -> bool:
    """A comparison, range or IN list of the partition column itself."""
    if isinstance(term, exp.And):
        return any(prunes_on(part.unnest(), partition_column) for part in term.flatten())
    comparisons = (exp.In, exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between)
    return isinstance(term, comparisons) and isinstance(term.this, exp.Column) and term.this.name == partition_column


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2026, 1, 3))
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as target_path:
        manifest = compile_daily_run(Path(target_path), arguments.day)
    relations = large_relations(manifest)
    total = pruned = 0
    for node in sorted(manifest["nodes"].values(), key=lambda node: node["name"]):
        if node["resource_type"] != "model" or node["config"]["materialized"] != "incremental":
            continue
        model_reads = reads(node["compiled_code"], relations)
        total += len(model_reads)
        pruned += sum(filtered for _, filtered in model_reads)
        unpruned = sorted({name for name, filtered in model_reads if not filtered})
        print(f"{node['name']}: {len(model_reads)} reads, unpruned: {', '.join(unpruned) or '-'}")
    print(f"{pruned} of {total} reads of large relations filtered on their partition column")
    return 0


if __name__ == "__main__":
    sys.exit(main())
