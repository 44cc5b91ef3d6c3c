"""The failure policy (DECISIONLOG.md, "Extract (Airbyte)"): a failed source fails its own
extract, the models built on it do not run, the other sources' models still build.

Plain tasks stand in for the dbt tasks, wired the way the DAG wires the Cosmos source
tasks: each source's dbt sources wait for its own sync and for every sync to have ended.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
import pytest

from tests.extract.conftest import POLL_INTERVAL, run_dag

pytestmark = pytest.mark.usefixtures("airflow_db")


def build_policy_dag(dag_id: str, sources):
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG

    from shop_analytics.extract import extract_task_group

    with DAG(dag_id=dag_id, schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")) as dag:
        syncs_done = EmptyOperator(task_id="all_syncs_done", trigger_rule="all_done")
        staging = {}
        for source in sources.values():
            extract = extract_task_group(source, poll_interval=POLL_INTERVAL, sync_timeout=timedelta(seconds=60))
            staging[source.name] = EmptyOperator(task_id=f"staging_{source.name}")
            extract >> syncs_done
            [extract, syncs_done] >> staging[source.name]
        staging["etsy"] >> EmptyOperator(task_id="mart_sales")
        [staging["etsy"], staging["ga4"]] >> EmptyOperator(task_id="mart_channel_performance")
        staging["instagram"] >> EmptyOperator(task_id="mart_instagram")
    return dag


def test_a_failed_source_stops_only_what_is_built_on_it(airbyte_conn, sources, dag_id, task_logs):
    airbyte_conn.set_faults(sources["ga4"].airbyte_connection_id, job_fails=True)
    state, tasks = run_dag(build_policy_dag(dag_id, sources))

    assert state == "failed", "a failed source must fail the run, visibly"
    assert tasks["extract.ga4.wait_for_sync"] == "failed"
    ga4_job = next(job for job in airbyte_conn.jobs() if job.connection.source_name == "ga4")
    assert f"source 'ga4' did not succeed: job {ga4_job.job_id} ended with Airbyte status 'failed'" in task_logs()
    # Nothing built on GA4 runs on stale data...
    assert tasks["staging_ga4"] == "upstream_failed"
    assert tasks["mart_channel_performance"] == "upstream_failed"
    # ...while Etsy's and Instagram's models still build, after every sync has ended.
    assert tasks["all_syncs_done"] == "success"
    for task_id in ("staging_etsy", "mart_sales", "staging_instagram", "mart_instagram"):
        assert tasks[task_id] == "success", (task_id, tasks)
    assert {job.connection.source_name: job.status for job in airbyte_conn.jobs()} == {
        "etsy": "succeeded",
        "ga4": "failed",
        "instagram": "succeeded",
    }
