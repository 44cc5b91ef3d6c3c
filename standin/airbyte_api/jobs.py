"""Airbyte jobs of the stand-in: their state machine and the sync each one runs.

A job moves pending -> (queued) -> running -> succeeded | failed | cancelled on a thread of
its own, so a job that waits (queued, never finishing) holds up nobody else. The writes
to DuckDB are serialised by one lock: DuckDB allows one writer per file, and Airbyte's
destination likewise commits one sync at a time per table.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from standin.airbyte_api.connections import StandinConnection
from standin.airbyte_api.faults import ConnectionFaults

if TYPE_CHECKING:
    from standin.simulator import Scenario

log = logging.getLogger(__name__)

# Airbyte's JobStatusEnum (shared/reference/schemas/airbyte_api_job_models.json).
PENDING, QUEUED, RUNNING, INCOMPLETE = "pending", "queued", "running", "incomplete"
SUCCEEDED, FAILED, CANCELLED = "succeeded", "failed", "cancelled"
IN_PROGRESS = frozenset({PENDING, QUEUED, RUNNING, INCOMPLETE})


def _iso_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso8601_duration(seconds: float) -> str:
    """Like Java's Duration.toString(), which Airbyte uses: PT1H2M3.5S."""
    hours, remainder = divmod(seconds, 3600)
    minutes, secs = divmod(remainder, 60)
    parts = [f"{int(hours)}H" if hours else "", f"{int(minutes)}M" if minutes else ""]
    if secs or not any(parts):
        parts.append(f"{secs:.3f}".rstrip("0").rstrip(".") + "S")
    return "PT" + "".join(parts)


@dataclass
class Job:
    job_id: int
    connection: StandinConnection
    sync_day: date
    status: str = PENDING
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    last_updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    rows_synced: int | None = None
    bytes_synced: int | None = None
    failure: str | None = None
    queued_polls: int = 0
    cancel_requested: threading.Event = field(default_factory=threading.Event)
    left_queue: threading.Event = field(default_factory=threading.Event)
    # Every status a GET /jobs/{jobId} answered, in order: what the client was told.
    statuses_served: list[str] = field(default_factory=list)

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS

    def move_to(self, status: str) -> None:
        self.status = status
        self.last_updated_at = datetime.now(UTC)
        if status not in IN_PROGRESS:
            self.finished_at = self.last_updated_at

    def request_cancel(self) -> None:
        self.cancel_requested.set()
        self.left_queue.set()

    def serve(self) -> dict:
        """The JobResponse for a status read, counted towards the `queued_polls` fault."""
        response = self.to_json()
        self.statuses_served.append(response["status"])
        if self.statuses_served.count(QUEUED) >= self.queued_polls:
            self.left_queue.set()
        return response

    def to_json(self) -> dict:
        """A JobResponse, as Airbyte's public API sends it."""
        until = self.finished_at or datetime.now(UTC)
        response = {
            "jobId": self.job_id,
            "status": self.status,
            "jobType": "sync",
            "startTime": _iso_timestamp(self.started_at),
            "connectionId": self.connection.connection_id,
            "lastUpdatedAt": _iso_timestamp(self.last_updated_at),
            "duration": iso8601_duration((until - self.started_at).total_seconds()),
        }
        if self.rows_synced is not None:
            response["rowsSynced"] = self.rows_synced
            response["bytesSynced"] = self.bytes_synced
        return response


def run_job(
    job: Job, faults: ConnectionFaults, duckdb_path: Path, writer_lock: threading.Lock, scenario: Scenario | None
) -> None:
    """The job's whole life; runs on the job's own thread. Never raises: failures become the job's status."""
    try:
        if job.queued_polls:
            job.move_to(QUEUED)
            job.left_queue.wait()
            if job.cancel_requested.is_set():
                job.move_to(CANCELLED)
                return
        job.move_to(RUNNING)
        if faults.never_finishes:
            job.cancel_requested.wait()
            job.move_to(CANCELLED)
            return
        if faults.job_cancelled:
            job.move_to(CANCELLED)
            return
        if faults.job_fails:
            job.failure = "fault switched on: job_fails"
            job.move_to(FAILED)
            return
        # Imported when a sync runs, not with the server: its HTTP side works without the simulator.
        from standin.sync import run_sync

        with writer_lock:
            if job.cancel_requested.is_set():
                job.move_to(CANCELLED)
                return
            result = run_sync(
                duckdb_path,
                job.connection.source_name,
                job.sync_day,
                scenario=scenario,
                fail_after_streams=faults.fail_after_streams,
            )
        job.rows_synced = result.rows_synced
        job.bytes_synced = result.bytes_synced
        # A cancel that arrives while the sync commits keeps what landed, as in Airbyte.
        job.move_to(CANCELLED if job.cancel_requested.is_set() else SUCCEEDED)
    except Exception as error:  # any sync error is the job's failure, reported by its status
        log.exception("Airbyte stand-in job %s (%s) failed", job.job_id, job.connection.source_name)
        job.failure = f"{type(error).__name__}: {error}"
        job.move_to(FAILED)
