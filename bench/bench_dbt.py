"""Scale benchmark of the sales models: a full `dbt build` of the Etsy sales models on the
[data] scale history (8 shops x two years, about 1M orders), then one daily incremental
run on top of it (the next day's Etsy sync landed, the DAG's data-interval vars passed).
Prints both times and their ratio against the targets (full <= 120 s on 2 cores,
incremental <= 10 % of full).

    PYTHONPATH=plugins:. .venv/bin/python -m bench.bench_dbt [--base build/bench/etsy_1m.duckdb]

The landed history is cached in --base (generated with `python -m standin.generate` when
missing: several minutes); each run works on a copy of it."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from standin.simulator import calendar
from standin.sync import run_sync

REPO = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO / "include" / "dbt"
SHOPS = 8
DAYS = 730
END_DAY = dt.date(2025, 12, 31)
# The sales models and everything upstream (staging, seeds), with the tests on them alone.
SALES_SELECTION = [
    "+fct_orders",
    "+fct_order_items",
    "+fct_sales_daily",
    "+dim_customers",
    "+dim_products",
    "+fct_customer_cohorts",
]
FULL_TARGET_SECONDS = 120
INCREMENTAL_TARGET_RATIO = 0.10


def land_history(base: Path, orders: int) -> None:
    # Seasonality averages ~1 and growth adds ~7 % a year (as bench_generate aims it).
    orders_per_day = orders / (SHOPS * DAYS * (1 + calendar.ANNUAL_GROWTH * DAYS / 730))
    base.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "standin.generate",
            "--out",
            str(base),
            "--shops",
            str(SHOPS),
            "--days",
            str(DAYS),
            "--orders-per-day",
            f"{orders_per_day:.3f}",
            "--end-day",
            END_DAY.isoformat(),
            "--sources",
            "etsy",
            "--no-progress",
        ],
        cwd=REPO,
        check=True,
    )


def dbt_build(duckdb_path: Path, work_dir: Path, threads: int, dbt_vars: dict | None = None) -> float:
    command = [
        str(Path(sys.executable).parent / "dbt"),
        "build",
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--select",
        *SALES_SELECTION,
        "--indirect-selection",
        "cautious",
    ]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    environment = {
        **os.environ,
        "DBT_TARGET": "local",
        "DBT_THREADS": str(threads),
        "SHOP_ANALYTICS_DUCKDB_PATH": str(duckdb_path),
        "DBT_TARGET_PATH": str(work_dir / "target"),
        "DBT_LOG_PATH": str(work_dir / "logs"),
    }
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=DBT_PROJECT_DIR, env=environment, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        sys.exit(f"dbt build failed:\n{completed.stdout[-6000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, default=REPO / "build" / "bench" / "etsy_1m.duckdb")
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders to simulate when --base is missing")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    args.base = args.base.resolve()  # dbt runs from the dbt project folder
    if not args.base.exists():
        land_history(args.base, args.orders)

    work_dir = args.base.parent / "bench_dbt"
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    duckdb_path = work_dir / "shop_analytics.duckdb"
    shutil.copy(args.base, duckdb_path)

    full_seconds = dbt_build(duckdb_path, work_dir, args.threads)
    # The DAG's next run: the Etsy sync of the following morning, then dbt on its data interval.
    next_sync_day = END_DAY + dt.timedelta(days=2)
    run_sync(str(duckdb_path), "etsy", next_sync_day)
    interval = {"start_date": (next_sync_day - dt.timedelta(days=1)).isoformat(), "end_date": next_sync_day.isoformat()}
    incremental_seconds = dbt_build(duckdb_path, work_dir, args.threads, interval)

    ratio = incremental_seconds / full_seconds
    print(f"full build:      {full_seconds:7.1f} s  (target <= {FULL_TARGET_SECONDS} s)")
    print(f"incremental run: {incremental_seconds:7.1f} s  (vars {interval})")
    print(f"ratio:           {ratio:7.1%}  (target <= {INCREMENTAL_TARGET_RATIO:.0%})")


if __name__ == "__main__":
    main()
