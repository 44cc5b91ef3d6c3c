"""Generate a simulated history of N shops x D days into a DuckDB file, landed as Airbyte lands
it (raw_etsy, raw_ga4, raw_instagram), through the same run_sync the DAG's stand-in uses.

One sync per source on the day after --end-day lands the whole history (a connection's first
sync); with --daily-syncs K the history is instead landed by a first sync K days earlier and
then one sync per day, with the lookback re-sends and late updates of real daily syncs."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from tqdm import tqdm

from shop_analytics.config import load_sources
from standin.simulator import Scenario, load_shop_accounts
from standin.sync import run_sync


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    parser = argparse.ArgumentParser(prog="python -m standin.generate", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="DuckDB file to land into (created if missing)")
    parser.add_argument(
        "--shops",
        type=int,
        default=2,
        help=f"shops to simulate, rows of shop_accounts.csv (1..{len(load_shop_accounts())})",
    )
    parser.add_argument("--days", type=int, default=90, help="days of history up to --end-day (default 90)")
    parser.add_argument("--orders-per-day", type=float, default=15.0, help="mean orders per shop and day (default 15)")
    parser.add_argument("--seed", type=int, default=20240917, help="simulator seed: same seed, same rows")
    parser.add_argument(
        "--end-day",
        type=dt.date.fromisoformat,
        default=yesterday,
        help="last day of shop data (default: yesterday, UTC)",
    )
    parser.add_argument("--daily-syncs", type=int, default=1, help="land the last K days one daily sync at a time")
    parser.add_argument(
        "--sources", default=",".join(load_sources()), help="comma-separated sources to sync (default: all)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.days < 1 or args.daily_syncs < 1 or args.daily_syncs > args.days:
        parser.error("--days and --daily-syncs must be at least 1, and --daily-syncs at most --days")
    unknown = set(args.sources.split(",")) - set(load_sources())
    if unknown:
        parser.error(f"unknown sources {sorted(unknown)}; sources.yaml has {sorted(load_sources())}")
    return args


def generate(args: argparse.Namespace) -> dict[str, int]:
    """Run the syncs; returns rows landed per source."""
    scenario = Scenario(
        seed=args.seed,
        n_shops=args.shops,
        history_start=args.end_day - dt.timedelta(days=args.days - 1),
        orders_per_day=args.orders_per_day,
    )
    last_sync = args.end_day + dt.timedelta(days=1)
    sync_days = [last_sync - dt.timedelta(days=k) for k in reversed(range(args.daily_syncs))]
    rows: dict[str, int] = {}
    with tqdm(unit=" rows", unit_scale=True, disable=args.no_progress, file=sys.stderr) as progress:
        for sync_day in sync_days:
            for source in args.sources.split(","):
                progress.set_description(f"{source} sync of {sync_day}")
                result = run_sync(
                    args.out,
                    source,
                    sync_day,
                    scenario=scenario,
                    on_batch=lambda _stream, count: progress.update(count),
                )
                rows[source] = rows.get(source, 0) + result.rows_synced
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    rows = generate(args)
    elapsed = time.perf_counter() - started
    total = sum(rows.values())
    for source, count in rows.items():
        print(f"{source:<10} {count:>12,} raw rows")
    print(f"{'total':<10} {total:>12,} raw rows in {elapsed:.1f} s ({total / elapsed:,.0f} rows/s) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
