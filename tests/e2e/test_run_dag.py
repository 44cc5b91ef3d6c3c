"""End to end: the real DAG under `airflow dags test`, the real provider talking HTTP to the
Airbyte stand-in, Cosmos running dbt on a temporary DuckDB file; then what lands in the marts."""

import json
import sqlite3
from datetime import timedelta

import duckdb
import pytest

from shop_analytics.config import load_sources
from shop_analytics.transform.watchers import result_xcom_key
from standin.airbyte_api import running_airbyte_standin
from standin.local_airflow import DAG_ID, LocalAirflow, latest_synced_logical_date
from standin.sync import ETSY_EXTRACT_VARIABLE

# The latest synced day (yesterday, or the day before just after UTC midnight), as `make run`:
# the sources' freshness checks compare the stand-in's extraction time with the wall clock,
# and a stale source rightly stops the models built on it.
LOGICAL_DATE = latest_synced_logical_date()

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def dag_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("e2e")
    airflow = LocalAirflow(airflow_home=work / "airflow", duckdb_path=work / "shop.duckdb")
    # As `make run`: Etsy is read by its declarative connector (airbyte-cdk) from the Etsy API stand-in.
    with (
        pytest.MonkeyPatch.context() as patch,
        running_airbyte_standin(duckdb_path=airflow.duckdb_path, today=LOGICAL_DATE + timedelta(days=1)) as airbyte,
    ):
        patch.setenv(ETSY_EXTRACT_VARIABLE, "connector")
        env = airflow.env(airbyte.url, airbyte.client_id, airbyte.client_secret)
        outcome = airflow.test_dag(env, LOGICAL_DATE)
    return airflow, outcome


def test_every_task_succeeds(dag_run):
    _, outcome = dag_run
    not_successful = {task: state for task, state in outcome.task_states.items() if state != "success"}
    assert outcome.succeeded, f"run {outcome.state}; {not_successful}; log {outcome.log_path}"
    assert not not_successful
    assert outcome.dbt_models() >= 40, "models (with their tests) did not run as their own tasks"
    for group in ("transform.staging.etsy.", "transform.marts.sales.", "transform.sources.", "transform.seeds."):
        assert outcome.count(group) >= 1, f"no task of {group[:-1]} succeeded"


def test_every_source_landed_in_its_raw_schema(dag_run):
    airflow, _ = dag_run
    with duckdb.connect(str(airflow.duckdb_path), read_only=True) as db:
        for source in load_sources().values():
            for stream in source.streams:
                rows = db.execute(f'select count(*) from {source.raw_schema}."{stream.name}"').fetchone()[0]
                assert rows > 0, f"{source.raw_schema}.{stream.name} is empty"


def test_marts_hold_the_days_orders_per_shop(dag_run):
    airflow, _ = dag_run
    with duckdb.connect(str(airflow.duckdb_path), read_only=True) as db:
        daily = db.execute(
            "select shop_id, sum(orders), sum(gross_sales) from marts.fct_sales_daily where date_day = ? group by 1",
            [LOGICAL_DATE],
        ).fetchall()
        orders_by_shop = dict(
            db.execute(
                "select shop_id, count(*) from marts.fct_orders where order_date = ? group by 1", [LOGICAL_DATE]
            ).fetchall()
        )
    assert len(daily) == 2, "the embedded default simulates two shops"
    for shop_id, orders, gross_sales in daily:
        assert orders > 0 and gross_sales > 0
        assert orders == orders_by_shop[shop_id], "daily orders disagree with fct_orders"


def test_each_source_tables_freshness_was_checked_in_the_run_and_reported_by_its_sources_task(dag_run):
    """Freshness runs in the DAG (the producer's `dbt source freshness`, before its build) and
    each source's task reports the check of each of its tables: the result its task reads."""
    airflow, outcome = dag_run
    with sqlite3.connect(airflow.airflow_home / "airflow.db") as db:
        results = {
            key: json.loads(value)
            for key, value in db.execute(
                "select xcom.key, xcom.value from xcom join dag_run on dag_run.id = xcom.dag_run_id "
                "where dag_run.dag_id = ? and dag_run.run_id = ? and xcom.key like 'source__%'",
                (DAG_ID, outcome.run_id),
            )
        }
    for source in load_sources().values():
        tables = (results.get(result_xcom_key(f"source.shop_analytics.{source.name}")) or {}).get("tables", {})
        for stream in source.streams:
            node = f"source.shop_analytics.{source.name}.{stream.name}"
            result = tables.get(node)
            assert result is not None, f"no freshness result for {node} in the run"
            assert result["status"] == "pass", result
            assert result["message"].startswith("freshness pass: max loaded at"), result
        assert outcome.task_states[f"transform.sources.{source.name}"] == "success"
