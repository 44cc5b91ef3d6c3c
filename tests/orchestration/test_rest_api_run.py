"""The real scheduler: `make ui` (`standin.local_run --ui`: airflow standalone with a
scheduler, triggerer, API server and LocalExecutor workers, beside the Airbyte stand-in)
runs the DAG's first scheduled run once it is unpaused, green at whatever hour, with live
progress per model; stopping `make ui` stops all of it.

One standalone serves the module: the scheduled run first, then the tests reading it."""

from __future__ import annotations

import json
import statistics

import pytest

from shop_analytics.config import REPO_ROOT
from shop_analytics.publish import REPORTING_TABLES
from standin.local_airflow import (
    DAG_ID,
    PRODUCER_TASK_ID,
    TransformTimings,
    instant,
    rest_node_results,
    rest_task_instances,
)
from tests.orchestration.make_ui import wait_for

pytestmark = pytest.mark.e2e

# A model's task ends this long after its node (and its tests) ended in the build, at most:
# the trigger polls every 2 s, the triggerer and the API server share two busy cores.
# (Measured on the shared 2-core machine at a load average of 5-9: see bench/README.md.)
# Model tasks that must start and end while the build runs: a whole source's staging layer.
LIVE_MODEL_TASKS = 8
MODEL_TASK_LAG_SECONDS = 30
MEDIAN_LAG_SECONDS = 10


@pytest.fixture(scope="module")
def ui(make_ui):
    return make_ui.client, make_ui.log_path, make_ui.run_id, make_ui.state, make_ui.instances


def test_the_first_scheduled_run_succeeds_with_parallel_tasks_and_one_dbt_writer(ui):
    client, log_path, run_id, state, instances = ui
    not_successful = {ti["task_id"]: ti["state"] for ti in instances if ti["state"] != "success"}
    assert state == "success", f"run {state}: {not_successful}; see {log_path}"
    run = client.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}").json()
    assert run["run_type"] == "scheduled"

    spans = [(ti["start_date"], ti["end_date"], ti) for ti in instances if ti["start_date"]]

    def overlapping(selected):
        selected = sorted(selected, key=lambda span: span[0])
        return [(a[2]["task_id"], b[2]["task_id"]) for a, b in zip(selected, selected[1:], strict=False) if b[0] < a[1]]

    assert overlapping(spans), "no two tasks ran at the same time: the scheduler did not run tasks in parallel"
    writers = [span for span in spans if span[2]["pool"] == "duckdb_writer"]
    assert PRODUCER_TASK_ID in {span[2]["task_id"] for span in writers}
    assert not overlapping(writers), "two dbt tasks wrote the DuckDB file at once"
    manifest = json.loads((REPO_ROOT / "include" / "dbt" / "target" / "manifest.json").read_text())
    nodes = [node for node in manifest["nodes"].values() if node["resource_type"] in ("model", "seed")]
    watchers = [ti for ti in instances if ti["task_id"].startswith("transform.") and ti["pool"] == "default_pool"]
    assert len(watchers) >= len(nodes), "every seed and model is its own task, holding no DuckDB slot"


def test_model_tasks_ran_while_the_producer_built_each_ending_seconds_after_its_node(ui):
    client, _, run_id, _, instances = ui
    timings = TransformTimings.of(instances, rest_node_results(client, run_id, instances))
    models = [ti for ti in instances if ti["task_id"] in timings.model_ends]
    started = [ti["task_id"] for ti in models if instant(ti["start_date"]) < timings.producer_end]
    ended = timings.ended_during_the_build()
    # How many fit in the build depends on its length against a task's start-up on two shared
    # cores (25 s and ~2 s here when the machine is idle); behind the old gate none did.
    assert len(started) >= LIVE_MODEL_TASKS and len(ended) >= LIVE_MODEL_TASKS, (
        f"of {len(models)} model tasks, {len(started)} started and {len(ended)} ended while the build ran: "
        f"no live progress. Build {timings.producer_start:%H:%M:%S}-{timings.producer_end:%H:%M:%S}; seconds "
        "after it ended that each late model's node finished in the build / its task started: "
        + str(
            {
                ti["task_id"]: round((instant(ti["end_date"]) - timings.producer_end).total_seconds(), 1)
                for ti in instances
                if ti["task_id"].startswith(("transform.sources.", "transform.seeds.")) and ti["end_date"]
            }
        )
        + str(
            {
                ti["task_id"]: (
                    round((timings.node_ends[ti["task_id"]] - timings.producer_end).total_seconds(), 1)
                    if ti["task_id"] in timings.node_ends
                    else None,
                    round((instant(ti["start_date"]) - timings.producer_end).total_seconds(), 1),
                )
                for ti in models
                if ti["task_id"] not in ended
            }
        )
    )
    lags = timings.lags()
    assert len(lags) == len(models), f"model tasks without their node's timing: {set(timings.model_ends) - set(lags)}"
    late = {task: round(lag, 1) for task, lag in lags.items() if not -1 <= lag <= MODEL_TASK_LAG_SECONDS}
    assert not late, f"model tasks ending more than {MODEL_TASK_LAG_SECONDS} s after (or before) their node: {late}"
    assert statistics.median(lags.values()) <= MEDIAN_LAG_SECONDS, sorted(lags.values())


def test_the_reporting_assets_got_their_events(ui):
    client, _, run_id, _, _ = ui
    events = client.get(
        "/api/v2/assets/events", params={"source_dag_id": DAG_ID, "source_run_id": run_id, "limit": 100}
    ).json()["asset_events"]
    updated = {event["name"] for event in events}
    assert updated == {f"shop_analytics.reporting.{table}" for table in REPORTING_TABLES}


def test_the_ui_offers_the_dbt_docs_view(ui):
    client = ui[0]
    plugins = client.get("/api/v2/plugins").json()["plugins"]
    views = [view for plugin in plugins for view in plugin.get("external_views", [])]
    docs = [view for view in views if view["name"] == "Etsy shop analytics"]
    assert docs, f"no dbt docs view among {[view['name'] for view in views]}"
    assert docs[0]["href"].endswith("/cosmos/shop_analytics/dbt_docs_index.html")


def test_clearing_a_models_task_with_its_downstream_rebuilds_that_model_and_what_follows(ui):
    """What Cosmos WATCHER allows: a cleared watcher whose producer has ended rebuilds its own
    node (`dbt build --select <node>`, its tests included); the producer is not rerun, so
    clearing a model with "Downstream" in the UI rebuilds that model and the models below it,
    one dbt invocation each, in lineage order, and nothing else of the transform."""
    client, log_path, run_id, _, before = ui
    model, below = "transform.staging.ga4.stg_ga4__devices", "transform.marts.marketing.fct_web_traffic_by_device_daily"
    cleared = client.post(
        f"/api/v2/dags/{DAG_ID}/clearTaskInstances",
        json={
            "dry_run": False,
            "dag_run_id": run_id,
            "task_ids": [model],
            "include_downstream": True,
            "only_failed": False,
            "reset_dag_runs": True,
        },
    )
    assert cleared.status_code == 200, cleared.text
    cleared_ids = {ti["task_id"] for ti in cleared.json()["task_instances"]}
    assert {model, below} <= cleared_ids and PRODUCER_TASK_ID not in cleared_ids

    def run_ended():
        state = client.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}").json()["state"]
        return state if state in ("success", "failed") else None

    assert wait_for(f"the cleared run {run_id} did not end", run_ended, 900, log_path) == "success"
    after = {ti["task_id"]: ti for ti in rest_task_instances(client, run_id)}
    tries_before = {ti["task_id"]: ti["try_number"] for ti in before}
    rerun = {task for task, ti in after.items() if ti["try_number"] > tries_before[task]}
    assert rerun == cleared_ids, f"rerun {sorted(rerun ^ cleared_ids)} differ from what was cleared"
    assert all(after[task]["state"] == "success" for task in rerun)
    for task in (model, below):
        log = json.dumps(
            client.get(
                f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{task}/logs/{after[task]['try_number']}",
                params={"full_content": True},
            ).json()
        )
        assert f"rebuilding model.shop_analytics.{task.rsplit('.', 1)[1]} on its own" in log, log[-2000:]
    assert instant(after[model]["end_date"]) <= instant(after[below]["start_date"]), "rebuilt out of lineage order"
