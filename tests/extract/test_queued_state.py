"""The provider's gap with `queued` jobs, shown on the real provider classes, and our fix.

If a provider release starts treating `queued` as in progress, the two gap tests fail:
that is the signal to drop our subclasses' queued handling.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from shop_analytics.extract import SourceSyncTrigger


@pytest.fixture
def queued_job(airbyte_conn, sources):
    """A GA4 job held in `queued` for as many status reads as a test needs."""
    from airflow.providers.airbyte.hooks.airbyte import AirbyteHook

    connection_id = sources["ga4"].airbyte_connection_id
    airbyte_conn.set_faults(connection_id, queued_polls=3)
    job_id = AirbyteHook().submit_sync_connection(connection_id).job_id
    job = airbyte_conn.job(job_id)
    while job.status == "pending":  # the job's thread moves it to queued straight away
        time.sleep(0.01)
    assert job.status == "queued"
    return job


def first_event(trigger):
    async def first():
        async for event in trigger.run():
            return event

    return asyncio.run(first())


def test_provider_deferrable_sensor_fails_on_a_queued_job(queued_job):
    from airflow.providers.airbyte.sensors.airbyte import AirbyteJobSensor
    from airflow.sdk.exceptions import AirflowException

    sensor = AirbyteJobSensor(task_id="provider_sensor", airbyte_job_id=queued_job.job_id, deferrable=True)
    with pytest.raises(AirflowException, match="unexpected state"):
        sensor.execute(context={})


def test_provider_trigger_reports_a_queued_job_as_failed(queued_job):
    from airflow.providers.airbyte.triggers.airbyte import AirbyteSyncTrigger

    trigger = AirbyteSyncTrigger(
        job_id=queued_job.job_id, conn_id="airbyte_default", end_time=time.time() + 60, poll_interval=0.05
    )
    event = first_event(trigger).payload
    assert event["status"] == "error" and "has failed" in event["message"]
    assert queued_job.statuses_served == ["queued"], "the provider gave up at the first `queued`"


def test_our_trigger_waits_through_queued_until_the_job_ends(queued_job):
    trigger = SourceSyncTrigger(
        job_id=queued_job.job_id,
        conn_id="airbyte_default",
        end_time=time.time() + 120,
        poll_interval=0.05,
        source_name="ga4",
        max_consecutive_api_errors=3,
    )
    from airflow.triggers.base import TaskSuccessEvent

    event = first_event(trigger)
    assert isinstance(event, TaskSuccessEvent), (event, queued_job.failure)
    assert queued_job.statuses_served[:3] == ["queued"] * 3
    assert queued_job.statuses_served[-1] == "succeeded"


def test_our_trigger_round_trips_through_serialisation():
    """The triggerer rebuilds a trigger from serialize(): the classpath must import and the kwargs fit."""
    from airflow.sdk._shared.module_loading import import_string

    trigger = SourceSyncTrigger(
        job_id=7,
        conn_id="airbyte_default",
        end_time=1.0,
        poll_interval=60,
        source_name="etsy",
        max_consecutive_api_errors=5,
    )
    classpath, kwargs = trigger.serialize()
    rebuilt = import_string(classpath)(**kwargs)
    assert type(rebuilt) is SourceSyncTrigger and rebuilt.serialize() == (classpath, kwargs)
