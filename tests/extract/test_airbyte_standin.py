"""The Airbyte API stand-in speaks what the provider's hook (and the airbyte-api SDK under it) sends and expects."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import httpx
import jsonschema
import pytest

import standin.airbyte_api
from standin.airbyte_api import running_airbyte_standin
from tests.extract.conftest import airbyte_connection

# Airbyte's JobResponse/JobCreateRequest JSON Schema, generated from the airbyte-api SDK the provider uses.
JOB_MODELS = json.loads((Path(standin.airbyte_api.__file__).with_name("airbyte_api_job_models.json")).read_text())


def wait_until_done(hook, job_id: int, within_seconds: float = 60):
    deadline = time.monotonic() + within_seconds
    seen = []
    while time.monotonic() < deadline:
        job = hook.get_job_details(job_id)
        if not seen or seen[-1] != job.status.value:
            seen.append(job.status.value)
        if job.status.value in ("succeeded", "failed", "cancelled"):
            return job, seen
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {seen[-1]} after {within_seconds} s")


@pytest.fixture
def hook(airbyte_conn):
    from airflow.providers.airbyte.hooks.airbyte import AirbyteHook

    return AirbyteHook()


def test_job_responses_match_airbyte_job_models(airbyte_conn, hook, sources):
    airbyte_conn.set_faults(sources["ga4"].airbyte_connection_id, job_fails=True)
    token = httpx.post(airbyte_conn.token_url, data=_form(airbyte_conn)).json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    request = {"connectionId": sources["ga4"].airbyte_connection_id, "jobType": "sync"}
    jsonschema.validate(request, JOB_MODELS["JobCreateRequest"])
    created = httpx.post(f"{airbyte_conn.url}jobs", json=request, headers=bearer)
    assert created.status_code == 200 and created.headers["content-type"] == "application/json"
    jsonschema.validate(created.json(), JOB_MODELS["JobResponse"])
    assert created.json()["status"] == "pending"
    job, _ = wait_until_done(hook, created.json()["jobId"])
    finished = httpx.get(f"{airbyte_conn.url}jobs/{job.job_id}", headers=bearer).json()
    jsonschema.validate(finished, JOB_MODELS["JobResponse"])
    assert finished["status"] == "failed" and finished["duration"].startswith("PT")


def _form(standin) -> dict:
    return {"grant_type": "client_credentials", "client_id": standin.client_id, "client_secret": standin.client_secret}


def test_credentials_are_checked(airbyte_conn):
    token_url = airbyte_conn.token_url
    wrong = httpx.post(token_url, data={**_form(airbyte_conn), "client_secret": "not-the-secret"})
    assert wrong.status_code == 401
    right = httpx.post(token_url, data=_form(airbyte_conn))
    assert right.status_code == 200 and right.json()["token_type"].lower() == "bearer"
    assert httpx.get(f"{airbyte_conn.url}jobs/1001").status_code == 401, "no token must be refused"
    forged = {"Authorization": "Bearer eyJzdWIiOiAieCJ9.0000"}
    assert httpx.get(f"{airbyte_conn.url}jobs/1001", headers=forged).status_code == 401
    assert httpx.get(f"{airbyte_conn.url}health").status_code == 200, "health needs no credentials"


def test_hook_with_wrong_secret_gets_401(airbyte, monkeypatch):
    from airflow.providers.airbyte.hooks.airbyte import AirbyteHook
    from airflow.sdk.exceptions import AirflowException

    monkeypatch.setenv("AIRFLOW_CONN_AIRBYTE_DEFAULT", airbyte_connection(airbyte, password="wrong"))
    with pytest.raises(AirflowException, match="401"):
        AirbyteHook().submit_sync_connection(next(iter(airbyte.connections)))
    assert airbyte.jobs() == [], "a refused request must not start a job"


def test_second_job_on_a_busy_connection_is_a_409_like_airbyte(airbyte_conn, hook, sources):
    from airflow.sdk.exceptions import AirflowException

    connection_id = sources["etsy"].airbyte_connection_id
    airbyte_conn.set_faults(connection_id, never_finishes=True)
    first = hook.submit_sync_connection(connection_id)
    with pytest.raises(AirflowException, match="409.*A sync is already running"):
        hook.submit_sync_connection(connection_id)
    hook.cancel_job(first.job_id)
    job, _ = wait_until_done(hook, first.job_id)
    assert job.status.value == "cancelled"


def test_server_errors_answer_503_then_recover(airbyte_conn, hook, sources):
    from airflow.sdk.exceptions import AirflowException

    connection_id = sources["instagram"].airbyte_connection_id
    airbyte_conn.set_faults(connection_id, server_errors=2)
    for _ in range(2):
        with pytest.raises(AirflowException, match="503"):
            hook.submit_sync_connection(connection_id)
    airbyte_conn.set_faults(connection_id, job_fails=True)
    assert hook.submit_sync_connection(connection_id).status.value == "pending"


def test_clock_sets_the_sync_day_of_new_jobs(airbyte_conn, hook, sources):
    clock = httpx.post(f"{airbyte_conn.admin_url}/clock", json={"today": "2026-04-02"})
    assert clock.json() == {"today": "2026-04-02"}
    connection_id = sources["ga4"].airbyte_connection_id
    airbyte_conn.set_faults(connection_id, job_fails=True)
    job = hook.submit_sync_connection(connection_id)
    assert airbyte_conn.job(job.job_id).sync_day == date(2026, 4, 2)


def test_admin_faults_endpoint_rejects_unknown_switches(airbyte_conn, sources):
    url = f"{airbyte_conn.admin_url}/faults/{sources['ga4'].airbyte_connection_id}"
    assert httpx.post(url, json={"job_explodes": True}).status_code == 400
    assert httpx.post(url, json={"queued_polls": 2}).json()["queued_polls"] == 2


def test_oss_layout_works_with_the_default_token_path(tmp_path, monkeypatch, sources):
    """OSS serves the API under /api/public/v1; the provider's default token URL joins onto it."""
    from airflow.providers.airbyte.hooks.airbyte import AirbyteHook

    with running_airbyte_standin(tmp_path / "oss.duckdb", date(2026, 3, 11), api_base_path="/api/public/v1") as oss:
        monkeypatch.setenv("AIRFLOW_CONN_AIRBYTE_DEFAULT", airbyte_connection(oss))
        connection_id = sources["etsy"].airbyte_connection_id
        oss.set_faults(connection_id, job_fails=True)
        job = AirbyteHook().submit_sync_connection(connection_id)
        assert oss.job(job.job_id).connection.source_name == "etsy"
        assert AirbyteHook().test_connection() == (True, "Connection successfully tested")


def test_a_sync_lands_rows_and_reports_them(airbyte_conn, hook, sources, duckdb_path):
    import duckdb

    job = hook.submit_sync_connection(sources["instagram"].airbyte_connection_id)
    assert job.status.value == "pending"
    finished, seen = wait_until_done(hook, job.job_id)
    assert finished.status.value == "succeeded", airbyte_conn.job(job.job_id).failure
    assert "running" in seen or seen[0] == "pending"
    assert finished.rows_synced > 0 and finished.bytes_synced > 0
    with duckdb.connect(str(duckdb_path), read_only=True) as db:
        landed = db.execute("select count(*) from raw_instagram.users").fetchone()[0]
    assert landed > 0


def test_a_token_path_without_the_api_version_misses_the_token_endpoint(airbyte, monkeypatch):
    """docs/airbyte.md: leave the token URL empty; `applications/token` resolves beside the API, not in it."""
    from airflow.providers.airbyte.hooks.airbyte import AirbyteHook

    monkeypatch.setenv("AIRFLOW_CONN_AIRBYTE_DEFAULT", airbyte_connection(airbyte, schema="applications/token"))
    ok, message = AirbyteHook().test_connection()  # /health needs no token: the misconfiguration hides here
    assert ok
    from airflow.sdk.exceptions import AirflowException

    with pytest.raises(AirflowException, match="404 from token endpoint"):
        AirbyteHook().get_job_details(1001)
