"""The default day of `make run` and the DAG-run tests never asks the stand-in for a sync
that, by the wall clock, has not happened yet (it would land orders from the future)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from standin.local_airflow import latest_synced_logical_date


def test_after_the_morning_sync_the_default_day_is_yesterday():
    assert latest_synced_logical_date(datetime(2026, 11, 26, 12, 0, tzinfo=UTC)) == date(2026, 11, 25)


def test_just_after_utc_midnight_new_york_has_not_closed_yesterday():
    # 00:30 UTC is 19:30 in New York (a default shop): its 25 November is still open.
    assert latest_synced_logical_date(datetime(2026, 11, 26, 0, 30, tzinfo=UTC)) == date(2026, 11, 24)
