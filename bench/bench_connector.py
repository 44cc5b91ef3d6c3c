"""Etsy connector throughput: every stream of a world read by the declarative connector
(airbyte-cdk, its own process per stream, as a sync runs it) from the Etsy API stand-in, and
checked against the world's record count, on the default world and a 4x-orders world.

    make bench-connector"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tempfile
import time

import duckdb

from shop_analytics.config import load_sources
from standin import etsy_connector
from standin.simulator import Scenario, records


def bench(name: str, scenario: Scenario, sync_day: dt.date) -> None:
    streams = load_sources()["etsy"].streams
    with tempfile.TemporaryDirectory() as directory, duckdb.connect(os.path.join(directory, "b.duckdb")) as db:
        started = time.perf_counter()
        rows = sum(
            t.num_rows
            for s in streams
            for t in etsy_connector.read_stream(db, scenario, sync_day, s.name, s.lookback_days)
        )
        seconds = time.perf_counter() - started
    expected = sum(t.num_rows for s in streams for t in records(scenario, "etsy", s.name, sync_day, None))
    if rows != expected:
        raise RuntimeError(f"{name}: the connector read {rows:,} records, the world holds {expected:,}")
    print(
        f"{name}: connector {rows:,} records in {seconds:.1f} s = {rows / seconds:,.0f} records/s; "
        f"(as many as the world holds); load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )


def main() -> None:
    sync_day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    default = Scenario.default(sync_day - dt.timedelta(days=1))
    bench("default world (2 shops x 90 days x 15 orders/day)", default, sync_day)
    bench("4x orders (60/day)", dataclasses.replace(default, orders_per_day=60), sync_day)


if __name__ == "__main__":
    main()
