"""The provider's Airbyte operator, sensor and trigger, adapted to this pipeline by subclassing.

What the subclasses change, and why (apache-airflow-providers-airbyte 6.2.0):
- `queued` is a state of a job in progress. The provider counts only pending, running
  and incomplete as in progress, so a job Airbyte Cloud holds in `queued` (capacity
  limits) fails the deferrable sensor ("unexpected state") and its trigger ("has failed").
- Failures name the source, the Airbyte job id and Airbyte's status; a failed or
  cancelled job fails without Airflow retries (re-reading a failed job cannot help;
  Airbyte has already retried its attempts), while API errors stay retryable.
- Transient API errors (5xx, timeouts, connection refused) while waiting are tolerated
  up to `max_consecutive_api_errors` polls in a row; the provider's trigger fails on the first.
- Waiting longer than the sensor's `timeout` cancels the Airbyte job, in both modes
  (the provider's sensor and trigger leave it running).
- The trigger polls at the sensor's `poke_interval` (the provider's is fixed at 60 s) and
  keeps its blocking HTTP calls off the triggerer's event loop.
- A sync that succeeded ends its sensor task in the triggerer (TaskSuccessEvent): no
  worker is started again just to return, and dbt starts a scheduler loop sooner. Every
  other outcome resumes the task on a worker, which raises the error naming the source
  (and cancels a timed-out job).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import timedelta
from typing import Any

from airbyte_api.models import JobStatusEnum
from airflow.providers.airbyte.hooks.airbyte import AirbyteHook
from airflow.providers.airbyte.operators.airbyte import AirbyteTriggerSyncOperator
from airflow.providers.airbyte.sensors.airbyte import AirbyteJobSensor
from airflow.providers.airbyte.triggers.airbyte import AirbyteSyncTrigger
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSensorTimeout, AirflowTaskTimeout
from airflow.triggers.base import TaskSuccessEvent, TriggerEvent
from airflow.utils.state import TaskInstanceState

from shop_analytics.extract.connection_ids import CONNECTION_IDS_TEMPLATE, resolve_connection_id

# The provider's in-progress states plus QUEUED, which it leaves out.
IN_PROGRESS_STATUSES = frozenset(
    {JobStatusEnum.PENDING, JobStatusEnum.QUEUED, JobStatusEnum.RUNNING, JobStatusEnum.INCOMPLETE}
)


def sync_failed_message(source_name: str, job_id: int | str, status: str) -> str:
    return (
        f"Airbyte sync of source {source_name!r} did not succeed: job {job_id} ended with Airbyte status "
        f"{status!r}. The models built on {source_name!r} do not run this time; the other sources' do. "
        f"Read job {job_id}'s logs in Airbyte, fix the cause, then clear this source's extract tasks."
    )


class TriggerSourceSyncOperator(AirbyteTriggerSyncOperator):
    """Starts one source's Airbyte sync and returns the job id (always asynchronous).

    The Airbyte connection id is resolved when the task runs: the Airflow Variable
    `airbyte_connection_ids` (JSON {source: id}) if it names this source, else the
    catalogue's default (sources.yaml).
    """

    template_fields: Sequence[str] = (*AirbyteTriggerSyncOperator.template_fields, "connection_id_overrides")

    def __init__(
        self,
        *,
        source_name: str,
        default_connection_id: str,
        known_sources: Collection[str],
        connection_id_overrides: str = CONNECTION_IDS_TEMPLATE,
        **kwargs: Any,
    ) -> None:
        super().__init__(connection_id=default_connection_id, asynchronous=True, **kwargs)
        self.source_name = source_name
        self.known_sources = tuple(known_sources)
        self.connection_id_overrides = connection_id_overrides

    def execute(self, context) -> int:
        self.connection_id = resolve_connection_id(
            self.source_name, self.connection_id, self.connection_id_overrides, self.known_sources
        )
        self.log.info("Starting the Airbyte sync of %r on connection %s", self.source_name, self.connection_id)
        try:
            return super().execute(context)
        except AirflowException as error:
            raise AirflowException(
                f"Could not start the Airbyte sync of source {self.source_name!r} (connection "
                f"{self.connection_id}, Airflow connection {self.airbyte_conn_id!r}): {error}. Check the "
                f"Airflow connection's host, client id/secret and token URL (docs/airbyte.md) and that "
                f"Airbyte is up; a 409 means a sync of this connection is still running in Airbyte."
            ) from error


class SourceSyncTrigger(AirbyteSyncTrigger):
    """Polls an Airbyte job until it ends or `end_time` passes; `queued` counts as in progress.

    A succeeded job ends the task (TaskSuccessEvent); otherwise the event resumes the sensor's
    execute_complete: {"status": "failed" | "timeout" | "api_error", "job_id", "airbyte_status", "message"}.
    """

    def __init__(
        self,
        job_id: int,
        conn_id: str,
        end_time: float,
        poll_interval: float,
        source_name: str,
        max_consecutive_api_errors: int,
    ) -> None:
        super().__init__(job_id=job_id, conn_id=conn_id, end_time=end_time, poll_interval=poll_interval)
        self.source_name = source_name
        self.max_consecutive_api_errors = max_consecutive_api_errors

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "job_id": self.job_id,
                "conn_id": self.conn_id,
                "end_time": self.end_time,
                "poll_interval": self.poll_interval,
                "source_name": self.source_name,
                "max_consecutive_api_errors": self.max_consecutive_api_errors,
            },
        )

    def _event(self, status: str, message: str, airbyte_status: str | None = None) -> TriggerEvent:
        return TriggerEvent(
            {"status": status, "job_id": self.job_id, "airbyte_status": airbyte_status, "message": message}
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        consecutive_api_errors = 0
        while True:
            if time.time() >= self.end_time:
                yield self._event("timeout", f"Airbyte job {self.job_id} of {self.source_name!r} is still not done")
                return
            try:
                hook = AirbyteHook(airbyte_conn_id=self.conn_id)
                status = await asyncio.to_thread(hook.get_job_status, self.job_id)
            except AirflowException as error:
                consecutive_api_errors += 1
                self.log.warning(
                    "Airbyte API call %d/%d about job %s failed: %s",
                    consecutive_api_errors,
                    self.max_consecutive_api_errors,
                    self.job_id,
                    error,
                )
                if consecutive_api_errors >= self.max_consecutive_api_errors:
                    yield self._event("api_error", _api_errors_message(self.source_name, self.job_id, error))
                    return
                await asyncio.sleep(self.poll_interval)
                continue
            consecutive_api_errors = 0
            if status in IN_PROGRESS_STATUSES:
                self.log.info("Airbyte job %s of %r is %s", self.job_id, self.source_name, status.value)
                await asyncio.sleep(self.poll_interval)
                continue
            if status == JobStatusEnum.SUCCEEDED:
                self.log.info("Airbyte job %s of %r succeeded", self.job_id, self.source_name)
                yield TaskSuccessEvent()
                return
            yield self._event("failed", f"Airbyte job {self.job_id} ended {status.value}", airbyte_status=status.value)
            return


def _api_errors_message(source_name: str, job_id: int | str, error: Exception) -> str:
    return (
        f"Lost track of Airbyte job {job_id} of source {source_name!r}: the Airbyte API failed repeatedly "
        f"(last error: {error}). The job may still be running in Airbyte; this task retries."
    )


class WaitForSourceSyncSensor(AirbyteJobSensor):
    """Waits for one source's Airbyte job; see the module docstring for what differs from the provider."""

    def __init__(self, *, source_name: str, max_consecutive_api_errors: int = 5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.source_name = source_name
        self.max_consecutive_api_errors = max_consecutive_api_errors
        self._consecutive_api_errors = 0

    @property
    def _job_id(self) -> int:
        return int(self.airbyte_job_id)

    def execute(self, context) -> None:
        try:
            if self.deferrable:
                self._defer_to_trigger()
            super().execute(context)  # not deferrable: the provider hands over to BaseSensorOperator's poke loop
        except (AirflowSensorTimeout, AirflowTaskTimeout) as timeout:
            self._cancel_job()
            raise AirflowSensorTimeout(self._timeout_message()) from timeout

    def _defer_to_trigger(self) -> None:
        # The trigger (which cancels the job) must fire before Airflow's deferral timeout (which would not).
        wait_seconds = self._wait_seconds()
        self.defer(
            trigger=SourceSyncTrigger(
                job_id=self._job_id,
                conn_id=self.airbyte_conn_id,
                end_time=time.time() + wait_seconds,
                poll_interval=self.poke_interval,
                source_name=self.source_name,
                max_consecutive_api_errors=self.max_consecutive_api_errors,
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=wait_seconds + 2 * self.poke_interval),
        )

    def poke(self, context) -> bool:
        try:
            status = AirbyteHook(airbyte_conn_id=self.airbyte_conn_id).get_job_status(self._job_id)
        except AirflowException as error:
            self._consecutive_api_errors += 1
            self.log.warning(
                "Airbyte API call %d/%d failed: %s",
                self._consecutive_api_errors,
                self.max_consecutive_api_errors,
                error,
            )
            if self._consecutive_api_errors >= self.max_consecutive_api_errors:
                raise AirflowException(_api_errors_message(self.source_name, self._job_id, error)) from error
            return False
        self._consecutive_api_errors = 0
        if status in IN_PROGRESS_STATUSES:
            self.log.info("Airbyte job %s of %r is %s", self._job_id, self.source_name, status.value)
            return False
        if status != JobStatusEnum.SUCCEEDED:
            raise AirflowFailException(sync_failed_message(self.source_name, self._job_id, status.value))
        self.log.info("Airbyte job %s of %r succeeded", self._job_id, self.source_name)
        return True

    def execute_complete(self, context, event: dict[str, Any] | str) -> None:
        # `airflow dags test` runs triggers inline and hands even a task-end event back here,
        # as its payload: the TaskSuccessEvent of a succeeded job.
        if event == TaskInstanceState.SUCCESS:
            self.log.info("Airbyte job %s of %r succeeded", self._job_id, self.source_name)
            return
        status = event["status"]
        if status == "failed":
            raise AirflowFailException(sync_failed_message(self.source_name, self._job_id, event["airbyte_status"]))
        if status == "timeout":
            self._cancel_job()
            raise AirflowSensorTimeout(self._timeout_message())
        raise AirflowException(event["message"])

    def on_kill(self) -> None:
        self._cancel_job()

    def _wait_seconds(self) -> float:
        """How long the job may take: the earlier of the sensor's timeout and the task's execution_timeout."""
        if self.execution_timeout is None:
            return self.timeout
        return min(self.timeout, self.execution_timeout.total_seconds())

    def _timeout_message(self) -> str:
        return (
            f"Airbyte sync of source {self.source_name!r} timed out: job {self._job_id} was not done after "
            f"{self._wait_seconds():.0f} s, so it was cancelled. Raise the sync timeout if such syncs are normal."
        )

    def _cancel_job(self) -> None:
        try:
            AirbyteHook(airbyte_conn_id=self.airbyte_conn_id).cancel_job(self._job_id)
            self.log.info("Cancelled Airbyte job %s of %r", self._job_id, self.source_name)
        except AirflowException as error:
            self.log.warning(
                "Could not cancel Airbyte job %s of %r (%s): cancel it in Airbyte",
                self._job_id,
                self.source_name,
                error,
            )
