"""Scale benchmark of the simulator + raw writer: N shops x two years of orders (default about
1M orders / 2.5M transactions) plus two years of GA4 and Instagram, generated and landed into
a fresh DuckDB file in one run, through the same run_sync the daily syncs use.

Prints raw rows, seconds (wall clock and CPU), rows/s, peak RSS (this process plus its largest
child, if any) and both against the target: >= 1M raw rows/s within 4 GiB on the 2-core
machine. The cores are shared, so the load average before and after the run is printed too.

    PYTHONPATH=plugins:. .venv/bin/python -m bench.bench_generate [--orders 1000000] [--out FILE]"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import time
from pathlib import Path

import duckdb

from shop_analytics.config import load_sources
from standin.simulator import Scenario, calendar
from standin.sync import DUCKDB_CONFIG, run_sync

SHOPS = 8
DAYS = 730
END_DAY = dt.date(2025, 12, 31)
TARGET_ROWS_PER_SECOND = 1_000_000
TARGET_PEAK_BYTES = 4 * 2**30
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "build" / "data-perf" / "bench.duckdb"


def peak_rss_bytes() -> int:
    """Peak resident memory of this process plus that of its largest child (ru_maxrss is KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) * 1024


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def duckdb_copy_seconds(landed: Path) -> float:
    """Seconds DuckDB alone takes to write the landed rows into a fresh file (every thread):
    the same bytes, types and compression with nothing to simulate or serialise, so the
    fastest any writer into DuckDB can land them on this machine."""
    copy = landed.with_name(landed.stem + "_copy.duckdb")
    copy.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(copy), config={"memory_limit": "3GB"}) as connection:
            connection.execute(f"ATTACH '{landed}' AS landed (READ_ONLY)")
            tables = connection.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() "
                "WHERE database_name = 'landed' AND schema_name LIKE 'raw_%'"
            ).fetchall()
            started = time.perf_counter()
            for schema, table in tables:
                connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                connection.execute(f'CREATE TABLE "{schema}"."{table}" AS SELECT * FROM landed."{schema}"."{table}"')
            connection.execute("CHECKPOINT")
            return time.perf_counter() - started
    finally:
        copy.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000, help="target number of orders (default 1M)")
    parser.add_argument("--shops", type=int, default=SHOPS)
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"DuckDB file, replaced (default {DEFAULT_OUT})")
    args = parser.parse_args()
    history_start = END_DAY - dt.timedelta(days=args.days - 1)
    # Seasonality averages ~1 and growth adds ~7 % a year: aim the mean at the target.
    orders_per_day = args.orders / (args.shops * args.days * (1 + calendar.ANNUAL_GROWTH * args.days / 730))
    scenario = Scenario(seed=1, n_shops=args.shops, history_start=history_start, orders_per_day=orders_per_day)
    sync_day = END_DAY + dt.timedelta(days=1)
    path = args.out
    for stale in (path, path.with_name(path.name + ".wal")):
        stale.unlink(missing_ok=True)
    load_before = load_average()
    started, cpu_started = time.perf_counter(), cpu_seconds()
    per_source = {}
    for source in load_sources():
        source_started = time.perf_counter()
        result = run_sync(path, source, sync_day, scenario=scenario)
        per_source[source] = (result.rows_synced, time.perf_counter() - source_started)
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
    load_after = load_average()
    peak = peak_rss_bytes()
    with duckdb.connect(str(path), read_only=True, config=DUCKDB_CONFIG) as connection:
        orders, transactions = connection.execute(
            "SELECT count(*), sum(json_array_length(transactions)) FROM raw_etsy.receipts"
        ).fetchone()
    total = sum(rows for rows, _ in per_source.values())
    rate = total / elapsed
    print(
        f"scenario: {args.shops} shops x {args.days} days ({history_start}..{END_DAY}), "
        f"{orders_per_day:.1f} orders/day/shop; first sync of each source lands the history"
    )
    size_mib = path.stat().st_size / 2**20
    print(f"orders {orders:,}  transactions {transactions:,}  DuckDB file {size_mib:,.0f} MiB ({path})")
    for source, (rows, seconds) in per_source.items():
        print(f"  {source:<10} {rows:>12,} raw rows {seconds:>7.1f} s {rows / seconds:>12,.0f} rows/s")
    print(
        f"total {total:,} raw rows in {elapsed:.1f} s (CPU {cpu:.1f} s): {rate:,.0f} rows/s; "
        f"peak RSS {peak / 2**20:,.0f} MiB"
    )
    print(
        f"vs target: rows/s {rate / TARGET_ROWS_PER_SECOND:.2f} of 1,000,000; "
        f"peak {peak / TARGET_PEAK_BYTES:.2f} of 4 GiB; "
        f"load average (1/5/15 min) before {load_before}, after {load_after} on {os.cpu_count()} cores"
    )
    copy_seconds = duckdb_copy_seconds(path)
    ceiling = total / copy_seconds
    print(
        f"ceiling: DuckDB alone copies the same rows into a fresh file in {copy_seconds:.1f} s "
        f"({ceiling:,.0f} rows/s, {ceiling / TARGET_ROWS_PER_SECOND:.2f} of the target); "
        f"simulating and landing reaches {rate / ceiling:.2f} of that copy"
    )


if __name__ == "__main__":
    main()
