"""Run the real DAG on one machine: a local Airflow home, the Airbyte stand-in, `airflow dags test`.

Shared by `make run` (standin.local_run) and the end-to-end tests, so both exercise the
same path. Airflow runs in a subprocess with its own environment: nothing here imports
airflow, and the caller's environment is never mutated.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from shop_analytics.config import REPO_ROOT

DAG_ID = "etsy_shop_analytics"
AIRBYTE_REQUEST_TIMEOUT_SECONDS = 60


@dataclass
class DagRunOutcome:
    state: str
    task_states: dict[str, str]
    log_path: Path
    returncode: int

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0 and self.state == "success"

    def count(self, suffix: str, state: str = "success") -> int:
        return sum(1 for task, s in self.task_states.items() if task.endswith(suffix) and s == state)

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
            "DBT_TARGET": "local",
            # No phoning home: this machine (and many a Composer VPC) has no route out.
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "PYTHONPATH": os.pathsep.join(python_path),
            **self.extra_env,
        }

    def _airflow(self, env: dict[str, str], *args: str, log_path: Path) -> int:
        with log_path.open("a") as log:
            return subprocess.run(
                [str(Path(sys.executable).with_name("airflow")), *args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
            ).returncode

    def ensure_metadata_db(self, env: dict[str, str]) -> None:
        self.airflow_home.mkdir(parents=True, exist_ok=True)
        log_path = self.airflow_home / "db-migrate.log"
        if (self.airflow_home / "airflow.db").exists():
            return
        if self._airflow(env, "db", "migrate", log_path=log_path) != 0:
            raise RuntimeError(f"`airflow db migrate` failed in {self.airflow_home}: see {log_path}")

    def test_dag(self, env: dict[str, str], logical_date: date) -> DagRunOutcome:
        """`airflow dags test` for one logical date (runs every task in-process, triggers included)."""
        self.ensure_metadata_db(env)
        log_path = self.airflow_home / f"dags-test-{logical_date.isoformat()}.log"
        log_path.unlink(missing_ok=True)
        returncode = self._airflow(env, "dags", "test", DAG_ID, logical_date.isoformat(), log_path=log_path)
        state, task_states = self._read_run(logical_date)
        return DagRunOutcome(state=state, task_states=task_states, log_path=log_path, returncode=returncode)

    def _read_run(self, logical_date: date) -> tuple[str, dict[str, str]]:
        with sqlite3.connect(self.airflow_home / "airflow.db") as db:
            row = db.execute(
                "select run_id, state from dag_run where dag_id = ? and date(logical_date) = ? "
                "order by id desc limit 1",
                (DAG_ID, logical_date.isoformat()),
            ).fetchone()
            if row is None:
                return "missing", {}
            run_id, state = row
            tasks = db.execute(
                "select task_id, state from task_instance where dag_id = ? and run_id = ?", (DAG_ID, run_id)
            ).fetchall()
        return state, {task_id: task_state or "none" for task_id, task_state in tasks}
