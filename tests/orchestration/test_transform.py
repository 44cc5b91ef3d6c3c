"""The transform group: one task per dbt node, watchers behind the one `dbt build`, and the
producer leaving out exactly what a failed or stale source feeds (DECISIONLOG "Orchestration")."""

from __future__ import annotations

import json

import pytest

from shop_analytics.config import REPO_ROOT, Settings, load_sources

MANIFEST = json.loads((REPO_ROOT / "include" / "dbt" / "target" / "manifest.json").read_text())
PROJECT = "shop_analytics"


@pytest.fixture(scope="module")
def dag():
    from airflow.dag_processing.dagbag import DagBag

    dagbag = DagBag(dag_folder=str(REPO_ROOT / "dags"), include_examples=False)
    assert dagbag.import_errors == {}
    return dagbag.dags["etsy_shop_analytics"]


@pytest.fixture(scope="module")
def transform(dag):
    return dag.task_group_dict["transform"]


def _manifest_ids(resource_type: str) -> set[str]:
    return {node_id for node_id, node in MANIFEST["nodes"].items() if node["resource_type"] == resource_type}


def test_every_model_seed_and_source_table_is_its_own_task(dag):
    task_ids = set(dag.task_ids)
    for node_id in _manifest_ids("model"):
        name = node_id.split(".")[-1]
        assert f"transform.{name}.run" in task_ids or f"transform.{name}_run" in task_ids, name
    for node_id in _manifest_ids("seed"):
        name = node_id.split(".")[-1]
        assert f"transform.{name}.seed" in task_ids or f"transform.{name}_seed" in task_ids, name
    for source in MANIFEST["sources"].values():
        assert f"transform.{source['source_name']}_{source['name']}_source" in task_ids, source["unique_id"]


def test_a_tested_model_has_a_task_for_its_tests(dag):
    tested_models = {
        parent
        for node in MANIFEST["nodes"].values()
        if node["resource_type"] == "test"
        for parent in node["depends_on"]["nodes"]
        if parent.startswith("model.")
    }
    for model_id in tested_models:
        name = model_id.split(".")[-1]
        assert f"transform.{name}.test" in dag.task_ids, f"no test task for {name}"


def test_watchers_start_once_the_build_has_ended_whatever_its_state(dag, transform):
    producer = dag.get_task("transform.dbt_producer_watcher")
    gate = dag.get_task("transform.dbt_producer_watcher_done")
    assert producer.upstream_task_ids == {"all_syncs_done"}
    assert gate.upstream_task_ids == {producer.task_id}
    assert gate.trigger_rule == "all_done", "a failed build must still let each model's task report its node"
    for task in transform:
        if task.task_id in (producer.task_id, gate.task_id):
            continue
        assert gate.task_id in task.get_flat_relative_ids(upstream=True), f"{task.task_id} may start before the build"


def test_the_build_runs_at_the_right_threads_in_the_local_pool(dag):
    producer = dag.get_task("transform.dbt_producer_watcher")
    settings = Settings.from_env()
    assert producer.env["DBT_THREADS"] == str(settings.dbt_threads)
    dbt_tasks = [task for task in dag.tasks if hasattr(task, "profile_config")]
    assert len(dbt_tasks) > 100
    assert {task.pool for task in dbt_tasks} == {"duckdb_writer"}, "a dbt task may write DuckDB beside another"


class _TaskInstance:
    dag_id = "etsy_shop_analytics"

    def __init__(self, states: dict[str, str]):
        self.states = states

    def get_task_states(self, dag_id, task_ids, run_ids):
        return {run_ids[0]: {task_id: self.states[task_id] for task_id in task_ids}}


def _excluded(dag, sync_states: dict[str, str], freshness: dict[str, str] | None = None) -> set[str]:
    producer = dag.get_task("transform.dbt_producer_watcher")
    nodes = producer.task_group.dbt_graph.nodes
    sync_task_ids = {name: f"extract.{name}.wait_for_sync" for name in load_sources()}
    context = {
        "run_id": "manual__1",
        "ti": _TaskInstance({sync_task_ids[name]: state for name, state in sync_states.items()}),
    }
    sources_json = {"results": [{"unique_id": uid, "status": status} for uid, status in (freshness or {}).items()]}
    excluded = producer._freshness_callback(context, dag, producer.task_group, nodes, sources_json)
    assert {state for _, state in excluded} <= {"skipped"}
    return {node_id.split(".")[-1] for node_id, _ in excluded}


def test_the_build_leaves_out_everything_built_on_a_failed_sync_and_nothing_else(dag):
    excluded = _excluded(dag, {"etsy": "success", "ga4": "failed", "instagram": "success"})
    assert {"stg_ga4__events", "fct_web_traffic_daily", "fct_channel_performance_daily"} <= excluded
    assert "mart_daily_business_overview" in excluded, "a mart joining GA4 must not build on stale GA4 data"
    assert not {name for name in excluded if name.startswith(("stg_etsy", "stg_instagram"))}
    assert {"fct_orders", "fct_instagram_posts"}.isdisjoint(excluded)


def test_the_build_leaves_out_unselected_sources_models_and_keeps_the_selected(dag):
    excluded = _excluded(dag, {"etsy": "success", "ga4": "skipped", "instagram": "skipped"})
    assert "fct_orders" not in excluded
    assert {"stg_ga4__events", "fct_instagram_posts"} <= excluded


def test_the_build_leaves_out_what_an_errored_freshness_feeds_but_builds_on_a_warning(dag):
    all_synced = {"etsy": "success", "ga4": "success", "instagram": "success"}
    assert _excluded(dag, all_synced) == set()
    errored = _excluded(dag, all_synced, {f"source.{PROJECT}.instagram.media": "error"})
    assert "fct_instagram_posts" in errored
    assert "fct_orders" not in errored
    assert _excluded(dag, all_synced, {f"source.{PROJECT}.instagram.media": "warn"}) == set()
