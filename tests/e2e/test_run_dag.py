"""End to end: the real DAG under `airflow dags test`, the real provider talking HTTP to the
Airbyte stand-in, Cosmos running dbt on a temporary DuckDB file; then what lands in the marts."""

from datetime import timedelta

import duckdb
import pytest

from shop_analytics.config import load_sources
from standin.airbyte_api import running_airbyte_standin
from standin.local_airflow import LocalAirflow, latest_synced_logical_date

# The latest synced day (yesterday, or the day before just after UTC midnight), as `make run`:
# the sources' freshness checks compare the stand-in's extraction
# time with the wall clock, and a stale source rightly stops the models built on it.
LOGICAL_DATE = latest_synced_logical_date()

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def dag_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("e2e")
    airflow = LocalAirflow(airflow_home=work / "airflow", duckdb_path=work / "shop.duckdb")
    with running_airbyte_standin(duckdb_path=airflow.duckdb_path, today=LOGICAL_DATE + timedelta(days=1)) as airbyte:
        env = airflow.env(airbyte.url, airbyte.client_id, airbyte.client_secret)
        outcome = airflow.test_dag(env, LOGICAL_DATE)
    return airflow, outcome


def test_every_task_succeeds(dag_run):
    _, outcome = dag_run
    not_successful = {task: state for task, state in outcome.task_states.items() if state != "success"}
    assert outcome.succeeded, f"run {outcome.state}; {not_successful}; log {outcome.log_path}"
    assert not not_successful
    assert outcome.dbt_models() >= 40, "models (with their tests) did not run as their own tasks"
    for group in ("transform.staging.etsy.", "transform.marts.sales.", "transform.sources.ga4.", "transform.seeds."):
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
