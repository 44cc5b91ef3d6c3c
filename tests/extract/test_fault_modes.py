"""Every Airbyte fault mode, through the real provider operator and sensor (our subclasses)
talking HTTP to the stand-in, under dag.test() — in deferrable mode (trigger run in
process) and in poke mode. Each test asserts the task states, the message a person would
read, and what Airbyte (the stand-in) ended up with."""

from __future__ import annotations

import json
import time

import duckdb
import pytest

from tests.extract.conftest import (
    REQUEST_TIMEOUT_SECONDS,
    airbyte_connection,
    build_extract_dag,
    build_sensor_dag,
    run_dag,
)

pytestmark = pytest.mark.usefixtures("airflow_db")

TRIGGER, WAIT = "extract.etsy.trigger_sync", "extract.etsy.wait_for_sync"


@pytest.fixture(params=[True, False], ids=["deferrable", "poke"])
def deferrable(request) -> bool:
    return request.param


@pytest.fixture
def etsy(sources):
    return sources["etsy"]


def only_job(standin):
    jobs = standin.jobs()
    assert len(jobs) == 1, [job.to_json() for job in jobs]
    return jobs[0]


def wait_for_a_job(standin, within_seconds: float = 30):
    deadline = time.monotonic() + within_seconds
    while not standin.jobs():
        assert time.monotonic() < deadline, "the stand-in never received the job request"
        time.sleep(0.05)
    return only_job(standin)


# -- job states ----------------------------------------------------------------------


def test_a_sync_that_succeeds(airbyte_conn, etsy, deferrable, dag_id, duckdb_path):
    state, tasks = run_dag(build_extract_dag(dag_id, [etsy], deferrable=deferrable))
    assert (state, tasks) == ("success", {TRIGGER: "success", WAIT: "success"})
    job = only_job(airbyte_conn)
    assert job.status == "succeeded" and job.rows_synced > 0
    with duckdb.connect(str(duckdb_path), read_only=True) as db:
        assert db.execute("select count(*) from raw_etsy.receipts").fetchone()[0] > 0


def test_a_failed_job_fails_the_sensor_naming_source_job_and_status(airbyte_conn, etsy, deferrable, dag_id, task_logs):
    airbyte_conn.set_faults(etsy.airbyte_connection_id, job_fails=True)
    state, tasks = run_dag(build_extract_dag(dag_id, [etsy], deferrable=deferrable, retries=1))
    assert (state, tasks) == ("failed", {TRIGGER: "success", WAIT: "failed"})
    job = only_job(airbyte_conn)
    assert f"Airbyte sync of source 'etsy' did not succeed: job {job.job_id} ended with Airbyte status 'failed'" in (
        task_logs()
    )
    assert task_logs().count("did not succeed") == 1, "a failed job is final: the sensor must not retry it"


def test_a_cancelled_job_fails_the_sensor(airbyte_conn, etsy, deferrable, dag_id, task_logs):
    airbyte_conn.set_faults(etsy.airbyte_connection_id, job_cancelled=True)
    state, tasks = run_dag(build_extract_dag(dag_id, [etsy], deferrable=deferrable))
    assert (state, tasks) == ("failed", {TRIGGER: "success", WAIT: "failed"})
    job = only_job(airbyte_conn)
    assert f"job {job.job_id} ended with Airbyte status 'cancelled'" in task_logs()


def test_a_queued_job_is_waited_for(airbyte_conn, etsy, deferrable, dag_id):
    airbyte_conn.set_faults(etsy.airbyte_connection_id, queued_polls=3)
    state, tasks = run_dag(build_extract_dag(dag_id, [etsy], deferrable=deferrable))
    assert (state, tasks) == ("success", {TRIGGER: "success", WAIT: "success"})
    job = only_job(airbyte_conn)
    assert "queued" in job.statuses_served, f"the sensor never saw the queued state: {job.statuses_served}"
    assert job.statuses_served[-1] == "succeeded"


def test_a_job_that_never_finishes_is_cancelled_at_the_timeout(airbyte_conn, etsy, deferrable, dag_id, task_logs):
    from datetime import timedelta

    airbyte_conn.set_faults(etsy.airbyte_connection_id, never_finishes=True)
    dag = build_extract_dag(dag_id, [etsy], deferrable=deferrable, sync_timeout=timedelta(seconds=2))
    state, tasks = run_dag(dag)
    assert (state, tasks) == ("failed", {TRIGGER: "success", WAIT: "failed"})
    job = only_job(airbyte_conn)
    assert f"Airbyte sync of source 'etsy' timed out: job {job.job_id} was not done after 2 s" in task_logs()
    assert job.status == "cancelled", "the timeout must cancel the Airbyte job"


def test_a_sync_that_lands_part_of_its_data_then_fails(
    airbyte_conn, sources, deferrable, dag_id, duckdb_path, task_logs
):
    instagram = sources["instagram"]
    airbyte_conn.set_faults(instagram.airbyte_connection_id, fail_after_streams=2)
    state, tasks = run_dag(build_extract_dag(dag_id, [instagram], deferrable=deferrable))
    assert state == "failed"
    assert tasks == {"extract.instagram.trigger_sync": "success", "extract.instagram.wait_for_sync": "failed"}
    job = only_job(airbyte_conn)
    assert f"job {job.job_id} ended with Airbyte status 'failed'" in task_logs()
    with duckdb.connect(str(duckdb_path), read_only=True) as db:
        landed = db.execute(
            "select count(*) from information_schema.tables where table_schema = ?", [instagram.raw_schema]
        ).fetchone()[0]
    assert landed == 2, "the partial sync should have landed exactly its first two streams"


# -- the API misbehaving ---------------------------------------------------------------


def test_server_errors_when_starting_are_retried(airbyte_conn, etsy, dag_id):
    airbyte_conn.set_faults(etsy.airbyte_connection_id, server_errors=1)
    state, tasks = run_dag(build_extract_dag(dag_id, [etsy], deferrable=True, retries=1))
    assert (state, tasks) == ("success", {TRIGGER: "success", WAIT: "success"})
    assert only_job(airbyte_conn).status == "succeeded", "the retry must start exactly one job"


def test_server_errors_while_waiting_are_tolerated(airbyte_conn, etsy, deferrable, dag_id, task_logs):
    from airflow.providers.airbyte.hooks.airbyte import AirbyteHook

    job_id = AirbyteHook().submit_sync_connection(etsy.airbyte_connection_id).job_id
    airbyte_conn.set_faults(etsy.airbyte_connection_id, server_errors=2)
    state, tasks = run_dag(build_sensor_dag(dag_id, etsy, job_id, deferrable=deferrable, max_consecutive_api_errors=3))
    assert (state, tasks) == ("success", {"wait_for_sync": "success"})
    assert task_logs().count("503") >= 2, "the sensor should have met (and ridden out) two 503 answers"


def test_an_api_failing_for_longer_fails_the_sensor_naming_the_job(airbyte_conn, etsy, deferrable, dag_id, task_logs):
    from airflow.providers.airbyte.hooks.airbyte import AirbyteHook

    airbyte_conn.set_faults(etsy.airbyte_connection_id, never_finishes=True)
    job_id = AirbyteHook().submit_sync_connection(etsy.airbyte_connection_id).job_id
    airbyte_conn.set_faults(etsy.airbyte_connection_id, server_errors=10)
    state, tasks = run_dag(build_sensor_dag(dag_id, etsy, job_id, deferrable=deferrable, max_consecutive_api_errors=3))
    assert (state, tasks) == ("failed", {"wait_for_sync": "failed"})
    assert f"Lost track of Airbyte job {job_id} of source 'etsy'" in task_logs()


def test_slow_answers_within_the_request_timeout(airbyte_conn, etsy, dag_id):
    airbyte_conn.set_faults(etsy.airbyte_connection_id, response_delay_seconds=0.5)
    state, tasks = run_dag(build_extract_dag(dag_id, [etsy], deferrable=True))
    assert (state, tasks) == ("success", {TRIGGER: "success", WAIT: "success"})


def test_answers_slower_than_the_request_timeout_fail_the_start(airbyte_conn, etsy, dag_id, task_logs):
    # The job still starts once the slow server gets to it (as a real one might): keep it idle.
    airbyte_conn.set_faults(
        etsy.airbyte_connection_id, response_delay_seconds=REQUEST_TIMEOUT_SECONDS + 1, never_finishes=True
    )
    state, tasks = run_dag(build_extract_dag(dag_id, [etsy], deferrable=True))
    assert (state, tasks) == ("failed", {TRIGGER: "failed", WAIT: "upstream_failed"})
    assert "Could not start the Airbyte sync of source 'etsy'" in task_logs()
    assert "timed out" in task_logs()
    wait_for_a_job(airbyte_conn)  # let the late request land before the stand-in stops


def test_airbyte_down_fails_the_start_naming_the_source(airbyte_conn, etsy, dag_id, task_logs):
    airbyte_conn.take_down()
    state, tasks = run_dag(build_extract_dag(dag_id, [etsy], deferrable=True))
    assert (state, tasks) == ("failed", {TRIGGER: "failed", WAIT: "upstream_failed"})
    assert "Could not start the Airbyte sync of source 'etsy'" in task_logs()
    assert "Connection refused" in task_logs() or "ConnectError" in task_logs()
    assert airbyte_conn.jobs() == []


def test_airbyte_down_while_waiting_fails_the_sensor(airbyte_conn, etsy, deferrable, dag_id, task_logs):
    from airflow.providers.airbyte.hooks.airbyte import AirbyteHook

    airbyte_conn.set_faults(etsy.airbyte_connection_id, never_finishes=True)
    job_id = AirbyteHook().submit_sync_connection(etsy.airbyte_connection_id).job_id
    airbyte_conn.take_down()
    state, tasks = run_dag(build_sensor_dag(dag_id, etsy, job_id, deferrable=deferrable))
    assert (state, tasks) == ("failed", {"wait_for_sync": "failed"})
    assert f"Lost track of Airbyte job {job_id} of source 'etsy'" in task_logs()
    assert airbyte_conn.job(job_id).status == "running", "Airbyte's job itself carries on"


def test_wrong_credentials_fail_the_start_with_401(airbyte, etsy, dag_id, task_logs, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_AIRBYTE_DEFAULT", airbyte_connection(airbyte, password="not-the-secret"))
    state, tasks = run_dag(build_extract_dag(dag_id, [etsy], deferrable=True))
    assert (state, tasks) == ("failed", {TRIGGER: "failed", WAIT: "upstream_failed"})
    assert "Could not start the Airbyte sync of source 'etsy'" in task_logs()
    assert "401" in task_logs()
    assert airbyte.jobs() == []


# -- connection ids per deployment -------------------------------------------------------


def test_the_variable_overrides_a_sources_connection_id(airbyte_conn, sources, dag_id, monkeypatch):
    ga4_connection = sources["ga4"].airbyte_connection_id
    monkeypatch.setenv("AIRFLOW_VAR_AIRBYTE_CONNECTION_IDS", json.dumps({"etsy": ga4_connection}))
    airbyte_conn.set_faults(ga4_connection, job_fails=True)
    state, tasks = run_dag(build_extract_dag(dag_id, [sources["etsy"]], deferrable=True))
    assert tasks[TRIGGER] == "success"
    assert only_job(airbyte_conn).connection.connection_id == ga4_connection


def test_a_misspelt_source_in_the_variable_fails_before_any_sync(airbyte_conn, etsy, dag_id, task_logs, monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_AIRBYTE_CONNECTION_IDS", json.dumps({"etsyy": "x"}))
    state, tasks = run_dag(build_extract_dag(dag_id, [etsy], deferrable=True, retries=1))
    assert (state, tasks) == ("failed", {TRIGGER: "failed", WAIT: "upstream_failed"})
    assert "Airflow Variable 'airbyte_connection_ids' names sources ['etsyy']" in task_logs()
    assert airbyte_conn.jobs() == []
