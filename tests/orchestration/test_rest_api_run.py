"""The real scheduler: `airflow standalone` (as `make ui` starts it) runs the DAG triggered
through the REST API, with parallel tasks, and no two dbt tasks ever write DuckDB at once."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from datetime import datetime, timedelta

import httpx
import pytest

from shop_analytics.config import REPO_ROOT
from standin.airbyte_api import running_airbyte_standin
from standin.local_airflow import DAG_ID, UI_LOGIN, LocalAirflow, latest_synced_logical_date

pytestmark = pytest.mark.e2e

LOGICAL_DATE = latest_synced_logical_date()
STARTUP_TIMEOUT_SECONDS = 600
RUN_TIMEOUT_SECONDS = 3600
# The API server answers slowly while the run keeps both cores busy.
API_TIMEOUT_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(what: str, probe, timeout: float, log_path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(3)
    raise TimeoutError(f"{what} within {timeout:.0f} s; see {log_path}")


def _task_instances(client: httpx.Client, run_id: str) -> list[dict]:
    """Every task instance of the run, page by page (the API caps a page at 100)."""
    instances: list[dict] = []
    while True:
        page = client.get(
            f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances", params={"limit": 100, "offset": len(instances)}
        ).json()
        instances += page["task_instances"]
        if len(instances) >= page["total_entries"] or not page["task_instances"]:
            return instances


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    work = tmp_path_factory.mktemp("standalone")
    airflow = LocalAirflow(airflow_home=work / "airflow", duckdb_path=work / "shop.duckdb")
    port = _free_port()
    log_path = work / "standalone.log"
    with running_airbyte_standin(duckdb_path=airflow.duckdb_path, today=LOGICAL_DATE + timedelta(days=1)) as airbyte:
        env = airflow.ui_env(airflow.env(airbyte.url, airbyte.client_id, airbyte.client_secret), port)
        server = airflow.standalone(env, log_path)
        try:
            base_url = f"http://127.0.0.1:{port}"

            def token():
                try:
                    username, password = UI_LOGIN
                    response = httpx.post(
                        f"{base_url}/auth/token",
                        json={"username": username, "password": password},
                        timeout=API_TIMEOUT_SECONDS,
                    )
                except httpx.TransportError:
                    return None
                return response.json()["access_token"] if response.status_code in (200, 201) else None

            access_token = _wait_for("the API server did not answer", token, STARTUP_TIMEOUT_SECONDS, log_path)
            with httpx.Client(
                base_url=base_url, headers={"Authorization": f"Bearer {access_token}"}, timeout=API_TIMEOUT_SECONDS
            ) as client:
                yield client, log_path
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=120)


def test_a_run_triggered_through_the_rest_api_succeeds_with_parallel_tasks_and_one_dbt_writer(api):
    client, log_path = api
    _wait_for(
        f"the DAG {DAG_ID} was not parsed",
        lambda: client.get(f"/api/v2/dags/{DAG_ID}").status_code == 200,
        STARTUP_TIMEOUT_SECONDS,
        log_path,
    )
    assert client.patch(f"/api/v2/dags/{DAG_ID}", json={"is_paused": False}).status_code == 200
    created = client.post(
        f"/api/v2/dags/{DAG_ID}/dagRuns", json={"logical_date": f"{LOGICAL_DATE.isoformat()}T00:00:00Z", "conf": {}}
    )
    assert created.status_code == 200, created.text
    run_id = created.json()["dag_run_id"]

    def finished_state():
        state = client.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}").json()["state"]
        return state if state in ("success", "failed") else None

    state = _wait_for(f"run {run_id} did not finish", finished_state, RUN_TIMEOUT_SECONDS, log_path)
    instances = _task_instances(client, run_id)
    not_successful = {ti["task_id"]: ti["state"] for ti in instances if ti["state"] != "success"}
    assert state == "success", f"run {state}: {not_successful}; see {log_path}"

    spans = [(datetime.fromisoformat(ti["start_date"]), datetime.fromisoformat(ti["end_date"]), ti) for ti in instances]

    def overlapping(selected):
        selected = sorted(selected, key=lambda span: span[0])
        return [(a[2]["task_id"], b[2]["task_id"]) for a, b in zip(selected, selected[1:], strict=False) if b[0] < a[1]]

    assert overlapping(spans), "no two tasks ran at the same time: the scheduler did not run tasks in parallel"
    dbt_spans = [span for span in spans if span[2]["pool"] == "duckdb_writer"]
    manifest = json.loads((REPO_ROOT / "include" / "dbt" / "target" / "manifest.json").read_text())
    nodes = [node for node in manifest["nodes"].values() if node["resource_type"] in ("model", "seed")]
    sources = {source["source_name"] for source in manifest["sources"].values()}
    assert len(dbt_spans) > len(nodes) + len(sources), "every source, seed and model is its own dbt task"
    assert not overlapping(dbt_spans), "two dbt tasks wrote the DuckDB file at once"


def test_the_ui_offers_the_dbt_docs_view(api):
    client, _ = api
    plugins = client.get("/api/v2/plugins").json()["plugins"]
    views = [view for plugin in plugins for view in plugin.get("external_views", [])]
    docs = [view for view in views if view["name"] == "Etsy shop analytics"]
    assert docs, f"no dbt docs view among {[view['name'] for view in views]}"
    assert docs[0]["href"].endswith("/cosmos/shop_analytics/dbt_docs_index.html")
