"""Scale benchmark of the simulator + raw writer: N shops x two years of orders (default about
1M orders / 2.5M transactions) plus two years of GA4 and Instagram, generated and landed into
a fresh DuckDB file in one run. Prints raw rows per second and peak memory (max RSS).

    PYTHONPATH=plugins:. .venv/bin/python -m bench.bench_generate [--orders 1000000]"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
from pathlib import Path

import duckdb

from shop_analytics.config import load_sources
from standin.simulator import Scenario, calendar
from standin.sync import run_sync

SHOPS = 8
DAYS = 730
END_DAY = dt.date(2025, 12, 31)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1_000_000, help="target number of orders (default 1M)")
    parser.add_argument("--shops", type=int, default=SHOPS)
    parser.add_argument("--days", type=int, default=DAYS)
    args = parser.parse_args()
    history_start = END_DAY - dt.timedelta(days=args.days - 1)
    # Seasonality averages ~1 and growth adds ~7 % a year: aim the mean at the target.
    orders_per_day = args.orders / (args.shops * args.days * (1 + calendar.ANNUAL_GROWTH * args.days / 730))
    scenario = Scenario(seed=1, n_shops=args.shops, history_start=history_start, orders_per_day=orders_per_day)
    sync_day = END_DAY + dt.timedelta(days=1)
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as folder:
        path = Path(folder) / "bench.duckdb"
        started = time.perf_counter()
        per_source = {}
        for source in load_sources():
            source_started = time.perf_counter()
            result = run_sync(path, source, sync_day, scenario=scenario)
            per_source[source] = (result.rows_synced, time.perf_counter() - source_started)
        elapsed = time.perf_counter() - started
        with duckdb.connect(str(path), read_only=True) as connection:
            orders, transactions = connection.execute(
                "SELECT count(*), sum(json_array_length(transactions)) FROM raw_etsy.receipts"
            ).fetchone()
        size = path.stat().st_size
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = sum(rows for rows, _ in per_source.values())
    print(
        f"scenario: {args.shops} shops x {args.days} days ({history_start}..{END_DAY}), "
        f"{orders_per_day:.1f} orders/day/shop; first sync of each source lands the history"
    )
    print(f"orders {orders:,}  transactions {transactions:,}  DuckDB file {size / 2**20:,.0f} MiB")
    for source, (rows, seconds) in per_source.items():
        print(f"  {source:<10} {rows:>12,} raw rows {seconds:>7.1f} s {rows / seconds:>12,.0f} rows/s")
    print(
        f"total {total:,} raw rows in {elapsed:.1f} s: {total / elapsed:,.0f} rows/s; peak memory {peak_mib:,.0f} MiB"
    )


if __name__ == "__main__":
    main()
