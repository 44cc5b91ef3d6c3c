"""Idempotency: the reporting tables depend on the data and the logical dates, never on how
many times or in which batches the days were run.

Each "run" is what the DAG's transform does for one data interval: dbt with the interval as its
window (SHOP_ANALYTICS_START_DATE/END_DATE), then the publish step. The comparisons build models and seeds
only: tests read and never write, and each run here passing its tests is what the rest of
the quality suite checks. Three histories of the same week, from the same starting point
(the initial sync's history, fully built):

- daily: each day's sync lands, then that day's run (the schedule);
- backfill: the week's syncs land first, then one run per day in order (an Airflow
  backfill of the range from the UI, on data that has since changed again);
- range: the week's syncs land, then one manual run over the whole range (run params
  start_date/end_date).

All three end with identical reporting tables, and re-running the last day changes nothing.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from shop_analytics.publish import publish_command
from tests.dbt.conftest import DbtProject, land_raw
from tests.quality.conftest import reporting_checksums

FIRST_SYNC_DAY = dt.date(2026, 1, 1)
WEEK = tuple(FIRST_SYNC_DAY + dt.timedelta(days=offset) for offset in range(1, 8))
MODELS_AND_SEEDS = ("--exclude", "resource_type:test", "resource_type:unit_test")


def run_interval(project: DbtProject, start: dt.date, end: dt.date) -> None:
    """The DAG's transform for the data interval [start, end)."""
    project.run("build", *MODELS_AND_SEEDS, window=(start, end))


def published(project: DbtProject) -> dict:
    """The DAG's publish step, then the reporting tables' checksums. Publishing replaces
    every reporting table from the marts, so only a history's last publish shows: the runs
    before it skip theirs."""
    project.run(*publish_command())
    return reporting_checksums(project.duckdb_path)


def copy_project(source: DbtProject, work_dir: Path) -> DbtProject:
    work_dir.mkdir()
    project = DbtProject(work_dir / source.duckdb_path.name, work_dir)
    shutil.copy(source.duckdb_path, project.duckdb_path)
    return project


def logical_date(sync_day: dt.date) -> dt.date:
    """The sync of day D lands what the run for logical date D - 1 reads."""
    return sync_day - dt.timedelta(days=1)


@pytest.fixture(scope="module")
def week_start(tmp_path_factory) -> DbtProject:
    """The initial sync's history, fully built and published."""
    work_dir = tmp_path_factory.mktemp("idempotency_start")
    project = DbtProject(work_dir / "shop_analytics.duckdb", work_dir)
    land_raw(project.duckdb_path, [FIRST_SYNC_DAY])
    project.run("build", *MODELS_AND_SEEDS)
    return project


@pytest.fixture(scope="module")
def daily(week_start, tmp_path_factory) -> DbtProject:
    project = copy_project(week_start, tmp_path_factory.mktemp("idempotency") / "daily")
    for sync_day in WEEK:
        land_raw(project.duckdb_path, [sync_day])
        run_interval(project, logical_date(sync_day), sync_day)
    return project


@pytest.fixture(scope="module")
def daily_published(daily) -> dict:
    """The reporting tables after the week's daily runs, read before any test re-runs a day."""
    return published(daily)


@pytest.fixture(scope="module")
def week_landed(week_start, tmp_path_factory) -> DbtProject:
    """The week's syncs landed on top of the start, nothing run yet."""
    project = copy_project(week_start, tmp_path_factory.mktemp("idempotency") / "landed")
    land_raw(project.duckdb_path, WEEK)
    return project


def test_the_week_changes_the_reporting_tables(week_start, daily_published):
    """Guards the comparisons below: a week of runs that changed nothing would pass them."""
    before, after = published(week_start), daily_published
    changed = {table for table in before if before[table] != after[table]}
    assert {"fct_orders", "fct_sales_daily", "fct_web_traffic_daily", "mart_daily_business_overview"} <= changed


def test_same_logical_date_run_twice_gives_identical_reporting_tables(daily, daily_published):
    run_interval(daily, logical_date(WEEK[-1]), WEEK[-1])
    assert published(daily) == daily_published


def test_backfill_of_the_week_equals_its_daily_runs(daily_published, week_landed, tmp_path):
    backfill = copy_project(week_landed, tmp_path / "backfill")
    for sync_day in WEEK:
        run_interval(backfill, logical_date(sync_day), sync_day)
    assert published(backfill) == daily_published


def test_one_run_over_the_week_equals_its_daily_runs(daily_published, week_landed, tmp_path):
    ranged = copy_project(week_landed, tmp_path / "range")
    run_interval(ranged, logical_date(WEEK[0]), WEEK[-1])
    assert published(ranged) == daily_published
