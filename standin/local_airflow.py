"""Run the real DAG on one machine: a local Airflow home, the Airbyte stand-in, `airflow dags test`.

Shared by `make run` (standin.local_run) and the end-to-end tests, so both exercise the
same path. Airflow runs in a subprocess with its own environment: nothing here imports
airflow at module level, and the caller's environment is never mutated.

`python -m standin.local_airflow ARGS` is the `airflow` CLI with one change for `dags test`:
every task of the run talks to one in-process Execution API. Airflow 3.2's `dag.test()`
builds a new Execution API app (FastAPI + Cadwyn route generation, plus an event-loop
thread) for every task, 2-3 s each on this 2-core machine: 6+ minutes of a ~150-task run
spent starting servers. A real deployment has one long-lived API server; so does this.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from shop_analytics.config import REPO_ROOT
from shop_analytics.config.environments import runtime_environment
from shop_analytics.config.settings import LOCAL_DUCKDB_POOL
from standin.simulator import Scenario, calendar

DAG_ID = "etsy_shop_analytics"
AIRBYTE_REQUEST_TIMEOUT_SECONDS = 60
UI_LOGIN = ("admin", "admin")
DBT_DOCS_DIR = REPO_ROOT / "build" / "dbt-docs"
# `airflow dags test` runs a deferred task's trigger inline: the DAG's watchers must wait for
# the build there (shop_analytics.transform.cosmos_dbt.INLINE_TRIGGERS_ENV, the same name).
INLINE_TRIGGERS_ENV = "SHOP_ANALYTICS_INLINE_TRIGGERS"


def latest_synced_logical_date(now: datetime | None = None) -> date:
    """The latest logical date whose morning sync has already happened by `now` (default: the
    wall clock): the run for day D syncs on D + 1, once every default shop's local day D has
    closed (calendar.sync_day_as_of). Just after UTC midnight "yesterday" has not closed in New
    York yet; the day before then is the latest complete one."""
    now = now or datetime.now(UTC)
    return calendar.sync_day_as_of(Scenario.default(now.date() - timedelta(days=1)), now.date(), now) - timedelta(
        days=1
    )


@dataclass
class DagRunOutcome:
    state: str
    task_states: dict[str, str]
    log_path: Path
    returncode: int
    run_id: str = ""

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0 and self.state == "success"

    def count(self, prefix: str, state: str = "success") -> int:
        """Tasks whose id starts with `prefix` (e.g. `transform.marts.`) that ended in `state`."""
        return sum(1 for task, s in self.task_states.items() if task.startswith(prefix) and s == state)

    def dbt_models(self, state: str = "success") -> int:
        """Model tasks (each a model and its tests): `transform.<layer>.<source or domain>.<model>`."""
        return sum(self.count(f"transform.{layer}.", state) for layer in ("staging", "intermediate", "marts"))

    def states(self) -> Counter:
        return Counter(self.task_states.values())


@dataclass
class LocalAirflow:
    airflow_home: Path
    duckdb_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self, airbyte_url: str, client_id: str, client_secret: str) -> dict[str, str]:
        airbyte_connection = {
            "conn_type": "airbyte",
            "host": airbyte_url,
            "login": client_id,
            "password": client_secret,
            "extra": {"timeout": AIRBYTE_REQUEST_TIMEOUT_SECONDS},
        }
        python_path = [str(REPO_ROOT / "plugins"), str(REPO_ROOT)]
        if os.environ.get("PYTHONPATH"):
            python_path.append(os.environ["PYTHONPATH"])
        return {
            **os.environ,
            "AIRFLOW_HOME": str(self.airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.airflow_home / 'airflow.db'}",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.airflow_home / "logs"),
            "AIRFLOW_CONN_AIRBYTE_DEFAULT": json.dumps(airbyte_connection),
            "SHOP_ANALYTICS_DUCKDB_PATH": str(self.duckdb_path),
            # dbt target, Airbyte polling, Cosmos settings: from settings.yaml.
            **runtime_environment("local_runner"),
            "PYTHONPATH": os.pathsep.join(python_path),
            **self.extra_env,
        }

    def _airflow(self, env: dict[str, str], *args: str, log_path: Path) -> int:
        with log_path.open("a") as log:
            return subprocess.run(
                [sys.executable, "-m", "standin.local_airflow", *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
            ).returncode

    def ui_env(self, env: dict[str, str], port: int) -> dict[str, str]:
        """The environment of `airflow standalone`: a fixed login, the dbt docs view, the port."""
        username, password = UI_LOGIN
        passwords_file = self.airflow_home / "simple_auth_manager_passwords.json"
        return {
            **env,
            # standalone starts its components as `airflow ...` commands: this environment's.
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
            # Parallel tasks: beside the one producer, watchers are short (they read their
            # node's result or defer to the triggerer), so 8 keep them from queueing behind
            # each other's start-up while the build runs; one API worker (each builds its own
            # app on its first request), and API calls that may wait on a busy laptop.
            "AIRFLOW__CORE__PARALLELISM": "8",
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "60",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{username}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords_file),
            "AIRFLOW__COSMOS__DBT_DOCS_PROJECTS": json.dumps(
                {"shop_analytics": {"dir": str(DBT_DOCS_DIR), "name": "Etsy shop analytics"}}
            ),
            # Parse the DAG folder at once, not every 5 minutes.
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        }

    def standalone(self, env: dict[str, str], log_path: Path) -> subprocess.Popen:
        """Start `airflow standalone` (scheduler, API server, DAG processor, triggerer): the caller stops it."""
        self.ensure_metadata_db(env)
        username, password = UI_LOGIN
        Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]).write_text(json.dumps({username: password}))
        description = "DuckDB allows one writing process: one dbt task at a time"
        if self._airflow(env, "pools", "set", LOCAL_DUCKDB_POOL, "1", description, log_path=log_path) != 0:
            raise RuntimeError(f"`airflow pools set {LOCAL_DUCKDB_POOL}` failed: see {log_path}")
        log = log_path.open("a")
        return subprocess.Popen(
            [sys.executable, "-m", "standin.local_airflow", "standalone"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def ensure_metadata_db(self, env: dict[str, str]) -> None:
        self.airflow_home.mkdir(parents=True, exist_ok=True)
        log_path = self.airflow_home / "db-migrate.log"
        if (self.airflow_home / "airflow.db").exists():
            return
        if self._airflow(env, "db", "migrate", log_path=log_path) != 0:
            raise RuntimeError(f"`airflow db migrate` failed in {self.airflow_home}: see {log_path}")

    def test_dag(self, env: dict[str, str], day: date) -> DagRunOutcome:
        """`airflow dags test` of a run covering `day` (runs every task in-process, triggers included).

        The run is a manual one as the UI makes it: its logical date is the moment it starts
        (so the UI shows its real start and duration), never a day boundary, which leaves every
        scheduled interval's logical date to the scheduler; the day it covers is its window
        params (start_date, end_date)."""
        self.ensure_metadata_db(env)
        log_path = self.airflow_home / f"dags-test-{day.isoformat()}.log"
        log_path.unlink(missing_ok=True)
        started = datetime.now(UTC)
        window = {"start_date": day.isoformat(), "end_date": (day + timedelta(days=1)).isoformat()}
        env = {**env, INLINE_TRIGGERS_ENV: "1"}
        returncode = self._airflow(
            env, "dags", "test", DAG_ID, started.isoformat(), "--conf", json.dumps(window), log_path=log_path
        )
        run_id, state, task_states = self.latest_run()
        return DagRunOutcome(
            state=state, task_states=task_states, log_path=log_path, returncode=returncode, run_id=run_id
        )

    def latest_run(self) -> tuple[str, str, dict[str, str]]:
        """The run id, state and task states of the DAG's latest run in this Airflow home."""
        with sqlite3.connect(self.airflow_home / "airflow.db") as db:
            row = db.execute(
                "select run_id, state from dag_run where dag_id = ? order by id desc limit 1", (DAG_ID,)
            ).fetchone()
            if row is None:
                return "", "missing", {}
            run_id, state = row
            tasks = db.execute(
                "select task_id, state from task_instance where dag_id = ? and run_id = ?", (DAG_ID, run_id)
            ).fetchall()
        return run_id, state, {task_id: task_state or "none" for task_id, task_state in tasks}


def main() -> None:
    from airflow.__main__ import main as airflow_main
    from airflow.sdk.execution_time import supervisor

    supervisor.in_process_api_server = functools.cache(supervisor.in_process_api_server)
    airflow_main()


if __name__ == "__main__":
    main()


# --- a run under the real scheduler, read through the REST API (tests and bench-scheduler) ---

PRODUCER_TASK_ID = "transform.dbt_producer_watcher"
MODEL_TASK_PREFIXES = tuple(f"transform.{layer}." for layer in ("staging", "intermediate", "marts"))
SYNC_TASK_SUFFIX = ".wait_for_sync"


def instant(value: str | None) -> datetime | None:
    """An ISO instant from Airflow or dbt (dbt's node timings are UTC without an offset)."""
    if not value:
        return None
    instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


@dataclass
class TransformTimings:
    """When the transform group's tasks ran, against the build's own node timings."""

    group_seconds: float  # first transform task start -> last transform task end
    producer_start: datetime
    producer_end: datetime
    sync_to_first_model_seconds: float  # last sync ending -> first model task running
    model_ends: dict[str, datetime]  # model task id -> its end
    node_ends: dict[str, datetime]  # model task id -> its node's end in the build (with tests)

    @classmethod
    def of(cls, instances: list[dict], node_results: dict[str, dict]) -> TransformTimings:
        """`instances`: the run's task instances (REST); `node_results`: model task id -> the producer's result XCom."""
        transform = [ti for ti in instances if ti["task_id"].startswith("transform.") and ti["start_date"]]
        producer = next(ti for ti in instances if ti["task_id"] == PRODUCER_TASK_ID)
        models = [ti for ti in transform if ti["task_id"].startswith(MODEL_TASK_PREFIXES)]
        syncs_end = max(instant(ti["end_date"]) for ti in instances if ti["task_id"].endswith(SYNC_TASK_SUFFIX))
        node_ends = {}
        for task_id, result in node_results.items():
            ends = [instant(result.get("finished_at"))] + [
                instant(test.get("finished_at")) for test in (result.get("tests") or {}).values()
            ]
            ends = [end for end in ends if end]
            if ends:
                node_ends[task_id] = max(ends)
        return cls(
            group_seconds=(
                max(instant(ti["end_date"]) for ti in transform) - min(instant(ti["start_date"]) for ti in transform)
            ).total_seconds(),
            producer_start=instant(producer["start_date"]),
            producer_end=instant(producer["end_date"]),
            sync_to_first_model_seconds=(min(instant(ti["start_date"]) for ti in models) - syncs_end).total_seconds(),
            model_ends={ti["task_id"]: instant(ti["end_date"]) for ti in models},
            node_ends=node_ends,
        )

    def lags(self) -> dict[str, float]:
        """Seconds from each node's end in the build (its tests included) to its task's end."""
        return {
            task_id: (self.model_ends[task_id] - end).total_seconds()
            for task_id, end in self.node_ends.items()
            if task_id in self.model_ends
        }

    def ended_during_the_build(self) -> list[str]:
        return sorted(task_id for task_id, end in self.model_ends.items() if end < self.producer_end)


def rest_task_instances(client, run_id: str) -> list[dict]:
    """Every task instance of the run, page by page (the API caps a page at 100)."""
    instances: list[dict] = []
    while True:
        page = client.get(
            f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances", params={"limit": 100, "offset": len(instances)}
        ).json()
        instances += page["task_instances"]
        if len(instances) >= page["total_entries"] or not page["task_instances"]:
            return instances


def rest_node_results(client, run_id: str, instances: list[dict]) -> dict[str, dict]:
    """The producer's result XCom of each model task (model task id -> result)."""
    from shop_analytics.transform.producer import result_xcom_key

    results = {}
    for ti in instances:
        if not ti["task_id"].startswith(MODEL_TASK_PREFIXES):
            continue
        unique_id = f"model.shop_analytics.{ti['task_id'].rsplit('.', 1)[1]}"
        response = client.get(
            f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{PRODUCER_TASK_ID}/xcomEntries/"
            f"{result_xcom_key(unique_id)}",
            params={"deserialize": True, "stringify": False},
        )
        if response.status_code == 200:
            results[ti["task_id"]] = response.json()["value"]
    return results
