"""Checksums of every mart table in a built DuckDB file: row count and an order-independent
hash of all rows, so a refactor of the dbt models can be shown to leave the marts unchanged.

    .venv/bin/python bench/mart_checksums.py path/to/shop_analytics.duckdb > before.json
    (change the models, rebuild the same raw data)
    .venv/bin/python bench/mart_checksums.py path/to/shop_analytics.duckdb --compare before.json
"""

from __future__ import annotations

import argparse
import json
import sys

import duckdb

MART_PREFIXES = ("fct_", "dim_", "mart_")


def mart_checksums(duckdb_path: str) -> dict[str, list]:
    with duckdb.connect(duckdb_path, read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_type = 'BASE TABLE' order by all"
        ).fetchall()
        checksums = {}
        for schema, table in tables:
            if not table.startswith(MART_PREFIXES):
                continue
            # hash() of a whole row struct; summed as hugeint so the order of rows is irrelevant.
            count, row_hash = connection.execute(
                f'select count(*), coalesce(sum(hash(t)::hugeint), 0)::varchar from "{schema}"."{table}" as t'
            ).fetchone()
            checksums[f"{schema}.{table}"] = [count, row_hash]
    if not checksums:
        raise SystemExit(f"{duckdb_path} has no mart tables (fct_/dim_/mart_): run dbt build on it first")
    return checksums


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("duckdb_path")
    parser.add_argument("--compare", help="a JSON file of checksums to compare against")
    arguments = parser.parse_args()
    checksums = mart_checksums(arguments.duckdb_path)
    if not arguments.compare:
        print(json.dumps(checksums, indent=2, sort_keys=True))
        return 0
    with open(arguments.compare) as expected_file:
        expected = json.load(expected_file)
    differences = {
        table: {"expected": expected.get(table), "actual": checksums.get(table)}
        for table in sorted(set(expected) | set(checksums))
        if expected.get(table) != checksums.get(table)
    }
    if differences:
        print(json.dumps(differences, indent=2), file=sys.stderr)
        print(f"{len(differences)} of {len(expected)} mart tables differ", file=sys.stderr)
        return 1
    print(f"all {len(checksums)} mart tables identical (row count and row hash)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
