"""Misbehaviour the tests switch on per Airbyte connection. Everything is off by default.

Job faults are read when a job starts; HTTP faults on every answer about the
connection (POST /jobs naming it, GET/DELETE of its jobs). Whole-server faults (down,
wrong credentials) are not per connection: see AirbyteApiStandin.take_down() and the
credentials the client is given.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class ConnectionFaults:
    # The job ends `failed` before landing anything (e.g. the source's API refused the credentials).
    job_fails: bool = False
    # The job ends `cancelled` after it started running (e.g. someone cancelled it in Airbyte's UI).
    job_cancelled: bool = False
    # The job stays `queued` (Airbyte Cloud at its capacity limit) until it has answered this many
    # status reads with `queued`: counted in the client's polls, so tests need no clock.
    queued_polls: int = 0
    # The job stays `running` until it is cancelled.
    never_finishes: bool = False
    # The sync lands this many streams, then fails: a partial sync (passed to standin.sync.run_sync).
    fail_after_streams: int | None = None
    # The next N answers about this connection are HTTP 503.
    server_errors: int = 0
    # Every answer about this connection takes this long.
    response_delay_seconds: float = 0.0

    @classmethod
    def from_json(cls, payload: dict) -> ConnectionFaults:
        known = {field.name for field in fields(cls)}
        unknown = set(payload) - known
        if unknown:
            raise ValueError(f"unknown fault switches {sorted(unknown)}; known: {sorted(known)}")
        return cls(**payload)
