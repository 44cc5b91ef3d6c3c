"""Which reads of a daily run are pruned: compile the project for BigQuery offline as an
incremental run of one day (SHOP_ANALYTICS_START_DATE/END_DATE), parse every incremental
model with sqlglot and report, for each read of a large relation (raw Etsy tables and the
base models over them, stg_etsy__*, int_sales__*, fct_*), whether the SELECT reading it prunes on the
relation's partition column: a top-level AND term of its WHERE compares that column (raw:
_airbyte_extracted_at, the column Airbyte's BigQuery destination partitions on; models:
their partition_by field). A model's reads include those of the queries it runs while
compiling (run_query: changed-day lookups), which the offline compile records. A partition
predicate inside an OR prunes nothing, and
BigQuery prunes on constant expressions only: a bound computed by a subquery
(`day in (select ...)`) needs a query stage to resolve and is not pruned, so such reads
are counted apart.

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
# The queries the offline compile ran (run_query), one JSON object a line: node_id, sql.
RUN_QUERIES_FILE = "run_queries.jsonl"
RAW_PARTITION_COLUMN = "_airbyte_extracted_at"
# Models whose date partitions a daily run must prune: the change indexes over raw, Etsy
# staging, the sales intermediates and the facts.
LARGE_MODEL_PREFIXES = ("base_etsy__", "stg_etsy__", "int_sales__", "fct_")


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


def run_queries(target_path: Path) -> dict[str, list[str]]:
    """Node id -> the SQL of the queries it ran while compiling (run_query: changed-day
    lookups), as the offline compile recorded them."""
    recorded = target_path / RUN_QUERIES_FILE
    queries: dict[str, list[str]] = {}
    for line in recorded.read_text().splitlines() if recorded.exists() else []:
        query = json.loads(line)
        queries.setdefault(query["node_id"], []).append(query["sql"])
    return queries


def large_relations(manifest: dict) -> dict[str, str]:
    """Table name -> its partition column, for every relation a daily run must prune."""
    relations = {}
    for source in manifest["sources"].values():
        if source["source_name"] == "etsy":
            relations[source["identifier"]] = RAW_PARTITION_COLUMN
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        partition = (node["config"].get("partition_by") or {}).get("field")
        if partition and node["name"].startswith(LARGE_MODEL_PREFIXES):
            relations[node["alias"]] = partition
        elif node["name"].startswith("base_etsy__"):
            # A view over raw: reading it reads raw.
            relations[node["alias"]] = RAW_PARTITION_COLUMN
    return relations


def reads(sql: str, relations: dict[str, str]) -> list[tuple[str, str]]:
    """(relation, how it is filtered on its partition column: constant, subquery or none)
    for every read of a large relation."""
    found = []
    for table in sqlglot.parse_one(sql, read="bigquery").find_all(exp.Table):
        partition_column = relations.get(table.name)
        # A CTE reference has no dataset; relations always do.
        if partition_column is None or not table.db:
            continue
        select = table.find_ancestor(exp.Select)
        where = select.args.get("where") if select else None
        found.append((table.name, "none" if where is None else partition_filter(where.this.unnest(), partition_column)))
    return found


def partition_filter(term: exp.Expression, partition_column: str) -> str:
    """'constant' for a comparison, range or IN list of the partition column itself against
    constants, 'subquery' when its bound comes from a query, else 'none'."""
    if isinstance(term, exp.And):
        kinds = {partition_filter(part.unnest(), partition_column) for part in term.flatten()}
        return next((kind for kind in ("constant", "subquery") if kind in kinds), "none")
    comparisons = (exp.In, exp.EQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Between)
    if not (isinstance(term, comparisons) and isinstance(term.this, exp.Column) and term.this.name == partition_column):
        return "none"
    bounds = [value for key, value in term.args.items() if key != "this" and value is not None]
    is_dynamic = any(
        isinstance(node, (exp.Select, exp.Column))
        for bound in bounds
        for node in (bound if isinstance(bound, list) else [bound])
        for node in node.walk()
    )
    return "subquery" if is_dynamic else "constant"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2026, 1, 3))
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as target_path:
        manifest = compile_daily_run(Path(target_path), arguments.day)
        lookups = run_queries(Path(target_path))
    relations = large_relations(manifest)
    counts = {"constant": 0, "subquery": 0, "none": 0}
    for node in sorted(manifest["nodes"].values(), key=lambda node: node["name"]):
        if node["resource_type"] != "model" or node["config"]["materialized"] != "incremental":
            continue
        # A model's reads: its own SQL's and those of the queries it ran while compiling.
        model_reads = [
            read
            for sql in (node["compiled_code"], *lookups.get(node["unique_id"], []))
            for read in reads(sql, relations)
        ]
        for _, kind in model_reads:
            counts[kind] += 1
        by_kind = {
            kind: ", ".join(sorted({name for name, found in model_reads if found == kind})) or "-"
            for kind in ("subquery", "none")
        }
        print(
            f"{node['name']}: {len(model_reads)} reads; bound by a subquery: {by_kind['subquery']}; "
            f"unfiltered: {by_kind['none']}"
        )
    total = sum(counts.values())
    print(
        f"of {total} reads of large relations: {counts['constant']} pruned (constant partition filter), "
        f"{counts['subquery']} filtered on the partition column by a subquery (BigQuery does not prune on it), "
        f"{counts['none']} not filtered on it"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
