"""Fixtures for the extract tests: the Airbyte API stand-in on a free loopback port, the
Airflow connection pointing at it, a metadata DB for dag.test(), and small DAGs built
with the real extract factory."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pendulum
import pytest

from shop_analytics.config import Source, load_sources
from standin.airbyte_api import AirbyteApiStandin, running_airbyte_standin

SYNC_DAY = date(2026, 3, 11)
# Fast polling keeps every fault test to seconds; production polls once a minute.
POLL_INTERVAL = timedelta(seconds=0.2)
REQUEST_TIMEOUT_SECONDS = 3


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """An empty Airflow metadata DB in the session's AIRFLOW_HOME (tests/conftest.py makes it temporary)."""
    from airflow.utils.db import initdb

    initdb()


@pytest.fixture
def duckdb_path(tmp_path: Path) -> Path:
    return tmp_path / "raw.duckdb"


@pytest.fixture
def airbyte(duckdb_path: Path) -> Iterator[AirbyteApiStandin]:
    with running_airbyte_standin(duckdb_path=duckdb_path, today=SYNC_DAY) as standin:
        yield standin


def airbyte_connection(standin: AirbyteApiStandin, **overrides) -> str:
    """The Airflow connection `airbyte_default` for the stand-in, as AIRFLOW_CONN_* JSON."""
    fields = {
        "conn_type": "airbyte",
        "host": standin.url,
        "login": standin.client_id,
        "password": standin.client_secret,
        "extra": {"timeout": REQUEST_TIMEOUT_SECONDS},
        **overrides,
    }
    return json.dumps(fields)


@pytest.fixture
def airbyte_conn(airbyte: AirbyteApiStandin, monkeypatch: pytest.MonkeyPatch) -> AirbyteApiStandin:
    """The stand-in, with `airbyte_default` pointing at it (tasks run in this process and read the env)."""
    monkeypatch.setenv("AIRFLOW_CONN_AIRBYTE_DEFAULT", airbyte_connection(airbyte))
    monkeypatch.delenv("AIRFLOW_VAR_AIRBYTE_CONNECTION_IDS", raising=False)
    return airbyte


@pytest.fixture
def sources() -> dict[str, Source]:
    return load_sources()


def build_extract_dag(
    dag_id: str,
    sources: list[Source],
    *,
    deferrable: bool,
    sync_timeout: timedelta = timedelta(seconds=60),
    max_consecutive_api_errors: int = 3,
    retries: int = 0,
):
    """A DAG of just the extract groups, made by the real factory."""
    from airflow.sdk import DAG

    from shop_analytics.extract import extract_task_group

    with DAG(
        dag_id=dag_id,
        schedule=None,
        start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
        default_args={"retries": retries, "retry_delay": timedelta(seconds=0)},
    ) as dag:
        for source in sources:
            extract_task_group(
                source,
                sync_timeout=sync_timeout,
                poll_interval=POLL_INTERVAL,
                deferrable=deferrable,
                max_consecutive_api_errors=max_consecutive_api_errors,
            )
    return dag


def build_sensor_dag(
    dag_id: str, source: Source, job_id: int, *, deferrable: bool, max_consecutive_api_errors: int = 3
):
    """A DAG of just the wait_for_sync sensor, for a job the test started itself."""
    from airflow.sdk import DAG

    from shop_analytics.extract import WaitForSourceSyncSensor

    with DAG(dag_id=dag_id, schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")) as dag:
        WaitForSourceSyncSensor(
            task_id="wait_for_sync",
            source_name=source.name,
            airbyte_job_id=job_id,
            deferrable=deferrable,
            timeout=60,
            poke_interval=POLL_INTERVAL.total_seconds(),
            max_consecutive_api_errors=max_consecutive_api_errors,
            retries=0,
        )
    return dag


@pytest.fixture
def task_logs(capfd: pytest.CaptureFixture[str]):
    """What the tasks (and triggers) logged so far: Airflow's task logger writes to the process's stdout."""
    seen: list[str] = []

    def read() -> str:
        out, err = capfd.readouterr()
        seen.extend((out, err))
        return "".join(seen)

    return read


@pytest.fixture
def dag_id(request: pytest.FixtureRequest) -> str:
    return re.sub(r"\W+", "_", request.node.name).strip("_")


def _register(dag) -> None:
    """Store the test DAG as the DAG processor would: dag.test() runs only DAGs the metadata DB knows."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.collection import update_dag_parsing_results_in_db
    from airflow.serialization.serialized_objects import LazyDeserializedDAG
    from airflow.utils.session import create_session

    with create_session() as session:
        DagBundlesManager().sync_bundles_to_db(session=session)
    with create_session() as session:
        update_dag_parsing_results_in_db(
            "dags-folder", None, [LazyDeserializedDAG.from_dag(dag)], {}, None, set(), session=session
        )


def run_dag(dag) -> tuple[str, dict[str, str]]:
    """dag.test() (tasks and triggers in this process): the run's state and each task's state."""
    _register(dag)
    run = dag.test(logical_date=pendulum.datetime(2026, 3, 10, tz="UTC"))
    return run.state, {ti.task_id: ti.state for ti in run.get_task_instances()}
