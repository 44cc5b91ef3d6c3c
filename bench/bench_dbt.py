"""Scale benchmark of the sales models: a full `dbt build` of the Etsy sales models on the
[data] scale history (8 shops x two years, about 1M orders), then one daily incremental
run on top of it (the next day's Etsy sync landed, the DAG's data interval as dbt's
window). Both start from a parsed project, as the DAG does (`make manifest` parses at
deploy time). Prints both times and their ratio against the targets (full <= 120 s on 2
cores, incremental <= 10 % of full), the fixed cost of any dbt invocation (start-up,
loading the parse, connecting), measured as a run of one tiny view, the floor of a
daily run: the same build on a window in which nothing landed, and dbt's own floor for
these nodes: the same build on raw tables with no rows (every model and test still runs).
Two ratios say whether a daily run reads only what is new: the idle run against that
empty-input floor (target <= 2x), and the same steady-state daily run on two years of
history against one year (the last year of the same shops at the same daily rate; target
<= 1.2x: a daily run's cost must not grow with history).

    PYTHONPATH=plugins:. .venv/bin/python -m bench.bench_dbt [--base build/bench/etsy_1m.duckdb]

The landed histories are cached in --base and --one-year-base (generated with
`python -m standin.generate` when missing: several minutes); each run works on a copy
under build/sales-perf/. The
two cores are shared, so the load average is printed with the figures, and the slowest
nodes of each build (run_results.json) to show where the time goes."""

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
# The dbt project's default sales_lookback_days (macros/sales/incremental.sql).
LOOKBACK_DAYS = 3
FULL_TARGET_SECONDS = 120
INCREMENTAL_TARGET_RATIO = 0.10
IDLE_TO_FLOOR_TARGET = 2.0
TWO_YEARS_TO_ONE_TARGET = 1.2


def orders_per_day(orders: int) -> float:
    # Seasonality averages ~1 and growth adds ~7 % a year (as bench_generate aims it).
    return orders / (SHOPS * DAYS * (1 + calendar.ANNUAL_GROWTH * DAYS / 730))


def land_history(base: Path, daily_orders: float, days: int) -> None:
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
            str(days),
            "--orders-per-day",
            f"{daily_orders:.3f}",
            "--end-day",
            END_DAY.isoformat(),
            "--sources",
            "etsy",
            "--no-progress",
        ],
        cwd=REPO,
        check=True,
    )


def dbt_build(
    duckdb_path: Path,
    work_dir: Path,
    threads: int,
    window: tuple[dt.date, dt.date] | None = None,
    command_name: str = "build",
    selection: list[str] = SALES_SELECTION,
) -> float:
    command = [str(Path(sys.executable).parent / "dbt"), command_name, "--profiles-dir", str(DBT_PROJECT_DIR)]
    if selection:
        command += ["--select", *selection, "--indirect-selection", "cautious"]
    environment = {
        **os.environ,
        "DBT_TARGET": "local",
        "DBT_THREADS": str(threads),
        "SHOP_ANALYTICS_DUCKDB_PATH": str(duckdb_path),
        "DBT_TARGET_PATH": str(work_dir / "target"),
        "DBT_LOG_PATH": str(work_dir / "logs"),
    }
    if window is not None:
        environment["SHOP_ANALYTICS_START_DATE"], environment["SHOP_ANALYTICS_END_DATE"] = map(str, window)
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=DBT_PROJECT_DIR, env=environment, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        sys.exit(f"dbt build failed:\n{completed.stdout[-6000:]}")
    return elapsed


def empty_raw_copy(base: Path, work_dir: Path) -> Path:
    """A DuckDB file holding the base's raw tables with no rows (file name as the project's:
    views store the catalog name)."""
    import duckdb

    path = work_dir / "empty" / "shop_analytics.duckdb"
    path.parent.mkdir(parents=True)
    with duckdb.connect(str(path)) as connection:
        connection.execute(f"attach '{base}' as base (read_only)")
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = 'base' and table_schema like 'raw_%'"
        ).fetchall()
        for schema, table in tables:
            connection.execute(f"create schema if not exists {schema}")
            connection.execute(f"create table {schema}.{table} as select * from base.{schema}.{table} limit 0")
    return path


def slowest_nodes(work_dir: Path, count: int = 5) -> str:
    results = json.loads((work_dir / "target" / "run_results.json").read_text())["results"]
    slowest = sorted(results, key=lambda result: result["execution_time"], reverse=True)[:count]
    return ", ".join(f"{result['unique_id'].split('.')[2]} {result['execution_time']:.1f} s" for result in slowest)


class SteadyState:
    """A history landed, synced daily up to a steady state, fully built; then the DAG's next
    run: the Etsy sync of the following morning and dbt on its data interval."""

    def __init__(self, base: Path, work_dir: Path, threads: int) -> None:
        shutil.rmtree(work_dir, ignore_errors=True)
        work_dir.mkdir(parents=True)
        self.work_dir, self.threads = work_dir, threads
        self.duckdb_path = work_dir / "shop_analytics.duckdb"
        shutil.copy(base, self.duckdb_path)
        # The history landed on the day after END_DAY, all at once, and a daily run looks for
        # changes landed since its lookback window's start, one day early, so the measured day
        # comes after that has passed the history's landing. The daily syncs in between land
        # before the full build.
        first_daily_sync = END_DAY + dt.timedelta(days=2)
        self.measured_sync_day = first_daily_sync + dt.timedelta(days=LOOKBACK_DAYS + 2)
        sync_day = first_daily_sync
        while sync_day < self.measured_sync_day:
            run_sync(str(self.duckdb_path), "etsy", sync_day)
            sync_day += dt.timedelta(days=1)
        # Deploy time: the project is parsed once (`make manifest`), every run reuses the parse.
        self.build(command_name="parse", selection=[])
        self.interval = (self.measured_sync_day - dt.timedelta(days=1), self.measured_sync_day)

    def build(self, window: tuple[dt.date, dt.date] | None = None, **options) -> float:
        return dbt_build(self.duckdb_path, self.work_dir, self.threads, window, **options)

    def full_build(self) -> float:
        return self.build()

    def daily_run(self) -> float:
        run_sync(str(self.duckdb_path), "etsy", self.measured_sync_day)
        return self.build(self.interval)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", type=Path, default=REPO / "build" / "bench" / "etsy_1m.duckdb")
    parser.add_argument("--one-year-base", type=Path, default=REPO / "build" / "bench" / "etsy_1m_last_year.duckdb")
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders over two years when --base is missing")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    # dbt runs from the dbt project folder
    args.base, args.one_year_base = args.base.resolve(), args.one_year_base.resolve()
    if not args.base.exists():
        land_history(args.base, orders_per_day(args.orders), DAYS)
    if not args.one_year_base.exists():
        land_history(args.one_year_base, orders_per_day(args.orders), DAYS // 2)

    world = SteadyState(args.base, REPO / "build" / "sales-perf" / "bench_dbt", args.threads)
    work_dir = world.work_dir
    load_before = os.getloadavg()
    full_seconds = world.full_build()
    full_slowest = slowest_nodes(work_dir)
    incremental_seconds = world.daily_run()
    interval = world.interval
    incremental_slowest = slowest_nodes(work_dir)
    load_after = os.getloadavg()
    # The structural part of any run: start dbt, load the parse, connect, run one tiny view.
    next_interval = (world.measured_sync_day, world.measured_sync_day + dt.timedelta(days=1))
    fixed_seconds = world.build(next_interval, command_name="run", selection=["stg_etsy__shops"])
    load_fixed = os.getloadavg()
    # The floor of a daily run of this project: the same build on a window in which nothing
    # landed or changed (incremental models rebuild no day; full-table models and tests run).
    idle_interval = (END_DAY + dt.timedelta(days=400), END_DAY + dt.timedelta(days=401))
    idle_seconds = world.build(idle_interval)
    idle_slowest = slowest_nodes(work_dir)
    # dbt's floor for these nodes, whatever the models do: start-up and every model and test
    # of the selection on raw tables with no rows.
    empty_path = empty_raw_copy(args.base, work_dir)
    dbt_build(empty_path, work_dir, args.threads, command_name="parse", selection=[])
    empty_seconds = dbt_build(empty_path, work_dir, args.threads, interval)
    empty_nodes = len(json.loads((work_dir / "target" / "run_results.json").read_text())["results"])
    # The same steady-state daily run on half the history.
    one_year = SteadyState(args.one_year_base, REPO / "build" / "sales-perf" / "bench_dbt_one_year", args.threads)
    one_year.full_build()
    one_year_daily_seconds = one_year.daily_run()
    load_one_year = os.getloadavg()

    ratio = incremental_seconds / full_seconds
    idle_to_floor = idle_seconds / empty_seconds
    two_years_to_one = incremental_seconds / one_year_daily_seconds
    print(
        f"full build:      {full_seconds:7.1f} s  (target <= {FULL_TARGET_SECONDS} s: "
        f"{full_seconds / FULL_TARGET_SECONDS:.2f} of it)"
    )
    print(f"incremental run: {incremental_seconds:7.1f} s  (window {interval[0]} to {interval[1]})")
    print(
        f"ratio:           {ratio:7.1%}  (target <= {INCREMENTAL_TARGET_RATIO:.0%}: "
        f"{ratio / INCREMENTAL_TARGET_RATIO:.2f} of it)"
    )
    print(
        f"fixed cost:      {fixed_seconds:7.1f} s  (dbt run of one view: start-up, loading the parse, "
        f"connecting; {fixed_seconds / incremental_seconds:.0%} of the incremental run, "
        f"{fixed_seconds / full_seconds:.1%} of the full build)"
    )
    print(
        f"idle daily run:  {idle_seconds:7.1f} s  (a window with nothing new: {idle_seconds / full_seconds:.1%} "
        "of the full build, the floor of a daily run of these models)"
    )
    print(
        f"empty-input run: {empty_seconds:7.1f} s  (the same {empty_nodes} models, seeds and tests on raw tables "
        f"with no rows: {empty_seconds / full_seconds:.1%} of the full build, dbt's floor for these nodes)"
    )
    print(
        f"idle / floor:    {idle_to_floor:7.2f}x (target <= {IDLE_TO_FLOOR_TARGET}x: "
        f"{'met' if idle_to_floor <= IDLE_TO_FLOOR_TARGET else 'not met'})"
    )
    print(
        f"2y / 1y daily:   {two_years_to_one:7.2f}x (daily run {incremental_seconds:.1f} s on two years of history, "
        f"{one_year_daily_seconds:.1f} s on one; target <= {TWO_YEARS_TO_ONE_TARGET}x: "
        f"{'met' if two_years_to_one <= TWO_YEARS_TO_ONE_TARGET else 'not met'})"
    )
    print(f"threads {args.threads} on {os.cpu_count()} cores shared with other work; load average (1, 5, 15 min)")
    print(f"  before:   {', '.join(f'{load:.2f}' for load in load_before)}")
    print(f"  after:    {', '.join(f'{load:.2f}' for load in load_after)}")
    print(f"  fixed:    {', '.join(f'{load:.2f}' for load in load_fixed)}")
    print(f"  one year: {', '.join(f'{load:.2f}' for load in load_one_year)}")
    print(f"slowest nodes, full build:  {full_slowest}")
    print(f"slowest nodes, incremental: {incremental_slowest}")
    print(f"slowest nodes, idle day:    {idle_slowest}")


if __name__ == "__main__":
    main()
