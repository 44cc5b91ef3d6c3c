"""The DAG folder imports cleanly and the DAG follows the house rules."""

from datetime import timedelta

import pytest

from shop_analytics.config import REPO_ROOT, load_sources


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(REPO_ROOT / "dags"), include_examples=False)


@pytest.fixture(scope="module")
def dag(dagbag):
    return dagbag.dags["etsy_shop_analytics"]


def test_dag_folder_imports_without_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "etsy_shop_analytics" in dagbag.dags


def test_extract_and_publish_retry_with_backoff_and_dbt_tasks_fail_fast(dag):
    """Airbyte and publishing meet transient API errors; a dbt task fails on the data or the
    code, and a retried node task would rebuild its node alone, one at a time, in the pool."""
    dbt_tasks = [
        task
        for task in dag.tasks
        if task.task_id.startswith("transform.") and getattr(task, "profile_config", None) is not None
    ]
    assert dbt_tasks
    for task in dag.tasks:
        if task in dbt_tasks:
            assert task.retries == 0, f"{task.task_id} retries"
        else:
            assert task.retries >= 1, f"{task.task_id} has no retries"
            assert task.retry_exponential_backoff, f"{task.task_id} retries without backoff"


def test_dag_is_documented_tagged_owned_and_daily(dag):
    assert {"etsy", "ga4", "instagram"} <= set(dag.tags)
    assert dag.doc_md and "extract" in dag.doc_md
    assert dag.catchup is False
    assert all(task.owner == "shop-data" for task in dag.tasks)
    from airflow.serialization.encoders import coerce_to_core_timetable

    # the DAG declares the Task SDK's timetable (no scheduler code at parse); the scheduler's reads its interval
    timetable = coerce_to_core_timetable(dag.timetable)
    interval = timetable.infer_manual_data_interval(run_after=__import__("pendulum").datetime(2026, 1, 2))
    assert interval.end - interval.start == timedelta(days=1)


def test_each_source_extract_gates_only_its_own_dbt_sources(dag):
    for source in load_sources().values():
        sensors = [t for t in dag.tasks if t.task_id.startswith(f"extract.{source.name}.") and not t.downstream_list]
        assert not sensors, f"extract of {source.name} is wired to nothing"
        gated = {
            downstream.task_id
            for task in dag.tasks
            if task.task_id.startswith(f"extract.{source.name}.")
            for downstream in task.downstream_list
            if not downstream.task_id.startswith("extract.") and downstream.task_id != "all_syncs_done"
        }
        assert gated, f"no dbt task waits for the {source.name} sync"
        assert all(f"{source.name}_" in task_id or f".{source.name}" in task_id for task_id in gated), gated
