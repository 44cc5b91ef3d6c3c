"""The first scheduled run is green at any hour: the stand-in's sync never lands a record
created after the moment it runs, and the staging check on future receipts compares a
receipt with its own extraction time, not with the wall clock of the dbt run.

A scheduled run starts at the end of its data interval (00:00 UTC) or, unpaused late, at
any hour of the next day; the Airbyte stand-in of `make ui` syncs as of the wall clock's day.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import duckdb
import pytest

from shop_analytics.config import REPO_ROOT, load_sources
from standin.sync import run_sync

INTERVAL_END = dt.date(2026, 12, 5)
CLOCKS = [dt.datetime.combine(INTERVAL_END, dt.time(h, m), tzinfo=dt.UTC) for h, m in ((0, 5), (2, 22), (23, 59))]
# Every stream's creation time, where the stream has one (epoch seconds or ISO date-time).
CREATED = {
    ("etsy", "receipts"): "to_timestamp(created_timestamp)",
    ("etsy", "transactions"): "to_timestamp(created_timestamp)",
    ("etsy", "ledger_entries"): "to_timestamp(created_timestamp)",
    ("instagram", "media"): "cast(timestamp as timestamptz)",
}


@pytest.fixture(scope="module", params=CLOCKS, ids=lambda clock: clock.strftime("%H:%M"))
def synced_at(request, tmp_path_factory):
    clock = request.param
    path = tmp_path_factory.mktemp("first-run") / "shop.duckdb"
    for source in load_sources():
        run_sync(path, source, clock.date(), now=clock)
    return clock, path


def test_a_sync_lands_nothing_created_or_extracted_after_its_moment(synced_at):
    clock, path = synced_at
    with duckdb.connect(str(path), read_only=True) as db:
        for source in load_sources().values():
            for stream in source.streams:
                table = f"{source.raw_schema}.{stream.name}"
                (extracted,) = db.execute(f"select max(_airbyte_extracted_at) from {table}").fetchone()
                assert extracted is not None and extracted <= clock, f"{table} extracted at {extracted}, after {clock}"
                created = CREATED.get((source.name, stream.name))
                if created:
                    late = db.execute(
                        f"select count(*) from {table} where {created} > _airbyte_extracted_at"
                    ).fetchone()[0]
                    assert late == 0, f"{table}: {late} records created after their extraction"


def test_the_staging_check_on_future_receipts_passes_on_the_first_run_at_any_hour(synced_at, tmp_path):
    clock, path = synced_at
    dbt = subprocess.run(
        [
            str(os.path.join(os.path.dirname(sys.executable), "dbt")),
            "build",
            "--select",
            "+stg_etsy__receipts",
            "--exclude-resource-type",
            "unit_test",
            "--indirect-selection",
            "cautious",
            "--profiles-dir",
            ".",
            "--target",
            "local",
        ],
        cwd=REPO_ROOT / "include" / "dbt",
        env={
            **os.environ,
            "SHOP_ANALYTICS_DUCKDB_PATH": str(path),
            "DBT_TARGET_PATH": str(tmp_path / "target"),
            "DBT_LOG_PATH": str(tmp_path / "logs"),
            "SHOP_ANALYTICS_START_DATE": str(INTERVAL_END - dt.timedelta(days=1)),
            "SHOP_ANALYTICS_END_DATE": str(INTERVAL_END),
        },
        capture_output=True,
        text=True,
    )
    assert dbt.returncode == 0, dbt.stdout[-4000:]
    assert "stg_etsy__receipts_created_at_is_not_in_the_future" in dbt.stdout
