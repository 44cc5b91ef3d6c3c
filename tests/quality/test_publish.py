"""Write-audit-publish: what is published, when, and that a failed publish changes nothing."""

from __future__ import annotations

import json

import duckdb
import pytest

from shop_analytics.config import REPO_ROOT
from shop_analytics.publish import PUBLISH_MACRO, REPORTING_TABLES, publish_command


def test_every_mart_is_a_reporting_table(published_base):
    manifest = json.loads((published_base.target_path / "manifest.json").read_text())
    marts = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["original_file_path"].startswith("models/marts/")
    }
    assert set(REPORTING_TABLES) == marts


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    dagbag = DagBag(dag_folder=str(REPO_ROOT / "dags"), include_examples=False)
    assert dagbag.import_errors == {}
    return dagbag.dags["etsy_shop_analytics"]


def test_publish_runs_last_and_only_when_everything_passed(dag):
    publish = dag.get_task(PUBLISH_MACRO)
    unit_tests = dag.get_task("dbt_unit_tests")
    assert publish.trigger_rule == unit_tests.trigger_rule == "all_success"
    assert unit_tests.task_id in publish.upstream_task_ids
    transform_tasks = {task.task_id for task in dag.tasks if task.task_id.startswith("transform.")}
    assert transform_tasks <= unit_tests.get_flat_relative_ids(upstream=True)
    assert transform_tasks <= publish.get_flat_relative_ids(upstream=True), "publish could run before a dbt task"


def test_a_failed_publish_changes_no_reporting_table(copy_of_base):
    """DuckDB publishes in one transaction: when the last table cannot be replaced, the ones
    before it are not replaced either."""
    with duckdb.connect(str(copy_of_base.duckdb_path)) as connection:
        connection.execute("delete from marts.fct_orders")
        connection.execute(f"drop table reporting.{REPORTING_TABLES[-1]}")
        connection.execute(f"create view reporting.{REPORTING_TABLES[-1]} as select 1 as blocker")
        (published_orders,) = connection.execute("select count(*) from reporting.fct_orders").fetchone()
    completed = copy_of_base.run(*publish_command(), check=False)
    assert completed.returncode != 0
    assert copy_of_base.query("select count(*) from reporting.fct_orders") == [(published_orders,)]
    assert published_orders > 0
