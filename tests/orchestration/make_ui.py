"""`make ui` for the tests: `standin.local_run --ui` (airflow standalone with a scheduler,
triggerer, DAG processor, API server and LocalExecutor workers, beside the Airbyte
stand-in) on a temporary home and DuckDB file, the DAG unpaused, its first scheduled run
awaited; stopped at the end as a process manager stops it (SIGTERM), checking that
nothing it started is left running.

Started once per session (tests/conftest.py `make_ui`): the real-scheduler tests
(tests/orchestration/test_rest_api_run.py) and the UI's browser tests
(tests/browser/test_airflow_ui.py) read the same run."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from shop_analytics.config import REPO_ROOT
from standin.local_airflow import DAG_ID, UI_LOGIN, rest_task_instances

STARTUP_TIMEOUT_SECONDS = 600
RUN_TIMEOUT_SECONDS = 3600
# The API server answers slowly while the run keeps both cores busy.
API_TIMEOUT_SECONDS = 60


@dataclass
class MakeUi:
    base_url: str
    client: httpx.Client
    airflow_home: Path
    duckdb_path: Path
    log_path: Path
    run_id: str
    state: str
    instances: list[dict]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what: str, probe, timeout: float, log_path: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(3)
    raise TimeoutError(f"{what} within {timeout:.0f} s; see {log_path}")


def processes_with(airflow_home: Path) -> list[int]:
    """Processes whose environment points at this Airflow home (the standalone's components)."""
    marker = f"AIRFLOW_HOME={airflow_home}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        with contextlib.suppress(OSError):
            if marker in environ.read_bytes().split(b"\0") and int(environ.parent.name) != os.getpid():
                found.append(int(environ.parent.name))
    return found


def _token(base_url: str) -> str | None:
    try:
        username, password = UI_LOGIN
        response = httpx.post(
            f"{base_url}/auth/token", json={"username": username, "password": password}, timeout=API_TIMEOUT_SECONDS
        )
    except httpx.TransportError:
        return None
    return response.json()["access_token"] if response.status_code in (200, 201) else None


@contextlib.contextmanager
def running_make_ui(work: Path) -> Iterator[MakeUi]:
    airflow_home, duckdb_path, port = work / "airflow", work / "shop.duckdb", _free_port()
    log_path = airflow_home / "standalone.log"
    make_ui = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "standin.local_run",
            "--ui",
            f"--port={port}",
            f"--airflow-home={airflow_home}",
            f"--duckdb-path={duckdb_path}",
        ],
        env={**os.environ, "PYTHONPATH": f"{REPO_ROOT / 'plugins'}{os.pathsep}{REPO_ROOT}"},
        stdout=(work / "make-ui.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        access_token = wait_for(
            "the API server did not answer", lambda: _token(base_url), STARTUP_TIMEOUT_SECONDS, log_path
        )
        with httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {access_token}"}, timeout=API_TIMEOUT_SECONDS
        ) as client:
            wait_for(
                f"the DAG {DAG_ID} was not parsed",
                lambda: client.get(f"/api/v2/dags/{DAG_ID}").status_code == 200,
                STARTUP_TIMEOUT_SECONDS,
                log_path,
            )
            assert client.patch(f"/api/v2/dags/{DAG_ID}", json={"is_paused": False}).status_code == 200

            def scheduled_run():
                runs = client.get(f"/api/v2/dags/{DAG_ID}/dagRuns", params={"run_type": "scheduled"}).json()
                return runs["dag_runs"][0]["dag_run_id"] if runs["total_entries"] else None

            run_id = wait_for("unpaused, the DAG got no scheduled run", scheduled_run, 300, log_path)

            def finished_state():
                state = client.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}").json()["state"]
                return state if state in ("success", "failed") else None

            state = wait_for(f"run {run_id} did not finish", finished_state, RUN_TIMEOUT_SECONDS, log_path)
            yield MakeUi(
                base_url=base_url,
                client=client,
                airflow_home=airflow_home,
                duckdb_path=duckdb_path,
                log_path=log_path,
                run_id=run_id,
                state=state,
                instances=rest_task_instances(client, run_id),
            )
    finally:
        # `make ui` stopped as a process manager stops it: everything it started goes with it.
        make_ui.send_signal(signal.SIGTERM)
        make_ui.wait(timeout=180)
        left = processes_with(airflow_home)
        with socket.socket() as probe:
            port_taken = probe.connect_ex(("127.0.0.1", port)) == 0
        assert not left and not port_taken, f"stopping make ui left {left} running (port {port} taken: {port_taken})"
