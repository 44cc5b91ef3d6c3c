"""A backfill created through the REST API (Airflow 3 backfills) under the real scheduler
gives the same marts and reporting tables as three daily runs of the same days.

On the shared `make ui` (its first scheduled run ended): its DuckDB file is copied, then
a three-day backfill is created with `POST /api/v2/backfills` and awaited. On the copy,
the same three days run one after another as daily runs (`airflow dags test`, each
covering its day through the run's window params), against an Airbyte stand-in syncing
the same day as `make ui`'s. Every mart and reporting table must then hold the same rows
(row count and an order-independent checksum)."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from shop_analytics.publish import REPORTING_TABLES
from standin.airbyte_api import running_airbyte_standin
from standin.local_airflow import DAG_ID, LocalAirflow
from tests.orchestration.make_ui import wait_for

pytestmark = pytest.mark.e2e

BACKFILL_DAYS = 3
BACKFILL_TIMEOUT_SECONDS = 1800


def table_checksums(duckdb_path) -> dict[str, tuple[int, str]]:
    """schema.table -> (rows, checksum) of every mart and its published reporting copy."""
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return {
            f"{schema}.{table}": connection.execute(
                f"""
                select count(*), md5(coalesce(string_agg(row_hash, '' order by row_hash), ''))
                from (select md5(cast(t as varchar)) as row_hash from {schema}.{table} as t)
                """
            ).fetchone()
            for schema in ("marts", "reporting")
            for table in REPORTING_TABLES
        }


@pytest.fixture(scope="module")
def backfilled(make_ui, tmp_path_factory):
    """(days, backfill runs, checksums after the backfill, checksums after three daily runs)."""
    client = make_ui.client
    assert make_ui.state == "success", f"the scheduled run {make_ui.run_id} {make_ui.state}: see {make_ui.log_path}"
    scheduled = client.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{make_ui.run_id}").json()
    first_day = dt.date.fromisoformat(scheduled["data_interval_start"][:10]) - dt.timedelta(days=BACKFILL_DAYS)
    days = [first_day + dt.timedelta(days=offset) for offset in range(BACKFILL_DAYS)]

    work = tmp_path_factory.mktemp("daily-runs")
    daily = LocalAirflow(airflow_home=work / "airflow", duckdb_path=work / "shop.duckdb")
    shutil.copyfile(make_ui.duckdb_path, daily.duckdb_path)

    created = client.post(
        "/api/v2/backfills",
        json={
            "dag_id": DAG_ID,
            "from_date": f"{days[0]}T00:00:00Z",
            "to_date": f"{days[-1]}T00:00:00Z",
            "max_active_runs": 1,
            "reprocess_behavior": "none",
        },
    )
    assert created.status_code in (200, 201), created.text
    backfill_id = created.json()["id"]

    def runs_of_the_backfill():
        runs = client.get(f"/api/v2/dags/{DAG_ID}/dagRuns", params={"run_type": "backfill"}).json()["dag_runs"]
        if len(runs) == BACKFILL_DAYS and all(run["state"] in ("success", "failed") for run in runs):
            return runs
        return None

    runs = wait_for(
        f"backfill {backfill_id} did not finish", runs_of_the_backfill, BACKFILL_TIMEOUT_SECONDS, make_ui.log_path
    )
    after_backfill = table_checksums(make_ui.duckdb_path)

    # The same days as daily runs, on the copy, against a stand-in syncing make ui's day.
    with running_airbyte_standin(duckdb_path=daily.duckdb_path, today=dt.datetime.now(dt.UTC).date()) as airbyte:
        env = daily.env(airbyte.url, airbyte.client_id, airbyte.client_secret)
        outcomes = [daily.test_dag(env, day) for day in days]
    failed = {str(day): outcome.log_path for day, outcome in zip(days, outcomes, strict=True) if not outcome.succeeded}
    assert not failed, f"daily runs failed: {failed}"
    return days, runs, after_backfill, table_checksums(daily.duckdb_path)


def test_the_backfill_runs_each_day_once_under_the_scheduler(backfilled, make_ui):
    days, runs, _, _ = backfilled
    states = {run["data_interval_start"][:10]: run["state"] for run in runs}
    assert states == {str(day): "success" for day in days}, f"backfill runs: {states}; see {make_ui.log_path}"


def test_the_backfill_gives_the_same_tables_as_daily_runs(backfilled):
    _, _, after_backfill, after_daily_runs = backfilled
    differing = {
        table: {"backfill": after_backfill[table], "daily runs": after_daily_runs[table]}
        for table in after_backfill
        if after_backfill[table] != after_daily_runs[table]
    }
    assert differing == {}, f"tables that differ (rows, checksum): {differing}"
    assert any(rows for rows, _ in after_backfill.values()), "every table is empty: nothing was compared"
