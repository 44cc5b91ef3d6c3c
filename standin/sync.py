"""Stands in for one Airbyte connection sync: reads what the connector would read on a day
from the simulator and lands it with the destination's semantics (raw_writer), honouring each
stream's sync mode and keeping the connection's state in the DuckDB file itself.

    run_sync(duckdb_path, source_name, sync_day, scenario=None, fail_after_streams=None, now=None) -> SyncResult

State lives in schema `_standin_airbyte`: the scenario the file's world was simulated from,
each stream's cursor and generation, and every sync attempt. A connection's first sync lands
the whole history (as Airbyte's first sync does); later syncs land what changed since the
cursor minus the stream's lookback window, so incremental append streams get duplicates exactly
where Airbyte would produce them."""

from __future__ import annotations

import datetime as dt
import json
import os
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from shop_analytics.config import Source, Stream, load_sources
from standin import raw_writer
from standin.simulator import Scenario, calendar, records

STATE_SCHEMA = "_standin_airbyte"

# The destination's DuckDB runs on one thread: batches arrive as one Arrow stream, so a second
# thread only adds contention (measured 1.5-2x slower on the shared 2-core machine), and it
# caps its buffer pool: a row group of receipts (~380 MB of JSON) still fits, and the bench's
# peak fell from 3.9 to 3.4 GiB against a 1 GB cap at the same speed.
DUCKDB_CONFIG = {"threads": 1, "memory_limit": "512MB"}


class SyncFailed(RuntimeError):
    """A sync that stopped part way (fault injection): earlier streams stay landed."""


@dataclass
class SyncResult:
    sync_id: int
    source_name: str
    sync_day: dt.date
    extracted_at: dt.datetime
    rows_synced: int = 0
    bytes_synced: int = 0
    rows_per_stream: dict[str, int] = field(default_factory=dict)


def _ensure_state(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {STATE_SCHEMA}")
    connection.execute(f"CREATE TABLE IF NOT EXISTS {STATE_SCHEMA}.world (scenario VARCHAR NOT NULL)")
    connection.execute(
        f"""CREATE TABLE IF NOT EXISTS {STATE_SCHEMA}.stream_state (
            source_name VARCHAR, stream_name VARCHAR, cursor_value VARCHAR, generation_id BIGINT,
            PRIMARY KEY (source_name, stream_name))"""
    )
    connection.execute(
        f"""CREATE TABLE IF NOT EXISTS {STATE_SCHEMA}.sync_runs (
            sync_id BIGINT, source_name VARCHAR, sync_day DATE, extracted_at TIMESTAMPTZ, status VARCHAR,
            rows_synced BIGINT, bytes_synced BIGINT, rows_per_stream JSON, error VARCHAR)"""
    )


def stored_scenario(connection: duckdb.DuckDBPyConnection) -> Scenario | None:
    row = connection.execute(f"SELECT scenario FROM {STATE_SCHEMA}.world").fetchone()
    return Scenario.from_json(row[0]) if row else None


def _resolve_scenario(
    connection: duckdb.DuckDBPyConnection, requested: Scenario | None, sync_day: dt.date, path: Path
) -> Scenario:
    """A DuckDB file holds one simulated world: the scenario of its first sync."""
    stored = stored_scenario(connection)
    if stored is None:
        scenario = requested or Scenario.default(sync_day - dt.timedelta(days=1))
        connection.execute(f"INSERT INTO {STATE_SCHEMA}.world VALUES (?)", [scenario.to_json()])
        return scenario
    if requested is not None and requested != stored:
        raise ValueError(
            f"{path} was landed from scenario {stored.to_json()}, not {requested.to_json()}: one file holds one "
            "simulated world; sync without a scenario to continue it, or land into a new file"
        )
    return stored


def _stream_state(connection, source: Source, stream: Stream) -> tuple[object | None, int | None]:
    row = connection.execute(
        f"SELECT cursor_value, generation_id FROM {STATE_SCHEMA}.stream_state "
        "WHERE source_name = ? AND stream_name = ?",
        [source.name, stream.name],
    ).fetchone()
    if row is None:
        return None, None
    return (json.loads(row[0]) if row[0] is not None else None), row[1]


def _save_stream_state(connection, source: Source, stream: Stream, cursor, generation_id: int) -> None:
    connection.execute(
        f"INSERT OR REPLACE INTO {STATE_SCHEMA}.stream_state VALUES (?, ?, ?, ?)",
        [source.name, stream.name, json.dumps(cursor) if cursor is not None else None, generation_id],
    )


def prefetched(batches: Iterator[pa.Table]) -> Iterator[pa.Table]:
    """The same batches, each simulated and prepared on a worker thread while the previous
    one is landed: numpy, Arrow and DuckDB release the GIL, so the two cores share the work.
    One batch in flight at a time keeps memory at two batches."""
    finished = object()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="simulate") as worker:
        pending = worker.submit(next, batches, finished)
        while (batch := pending.result()) is not finished:
            pending = worker.submit(next, batches, finished)
            yield batch


def lookback_start(cursor, lookback_days: int):
    """The connector's lower bound: the saved cursor minus the lookback window, in the cursor's
    own format (Etsy epoch seconds, GA4 YYYYMMDD, Instagram ISO date-times)."""
    if isinstance(cursor, int):
        return cursor - lookback_days * calendar.SECONDS_PER_DAY
    if isinstance(cursor, str) and len(cursor) == 8 and cursor.isdigit():
        day = dt.datetime.strptime(cursor, "%Y%m%d").date() - dt.timedelta(days=lookback_days)
        return day.strftime("%Y%m%d")
    if isinstance(cursor, str):
        moment = dt.datetime.strptime(cursor, "%Y-%m-%dT%H:%M:%S%z") - dt.timedelta(days=lookback_days)
        return moment.strftime("%Y-%m-%dT%H:%M:%S%z")
    raise ValueError(f"cannot apply a lookback window to cursor {cursor!r}; expected epoch seconds or a date string")


# `connector`: Etsy is read by the declarative connector (connectors/source-etsy, airbyte-cdk in
# .venv-connector) from the Etsy API stand-in, as a real sync would; `simulator` (the default, and
# the fast path the tests and benches use) reads the same records from the simulator directly.
ETSY_EXTRACT_VARIABLE = "SHOP_ANALYTICS_ETSY_EXTRACT"


def _extracted(connection, scenario: Scenario, source: Source, stream: Stream, sync_day: dt.date, since):
    etsy_extract = os.environ.get(ETSY_EXTRACT_VARIABLE, "simulator")
    if etsy_extract not in ("connector", "simulator"):
        raise ValueError(f"{ETSY_EXTRACT_VARIABLE}={etsy_extract!r}: expected 'connector' or 'simulator'")
    if source.name == "etsy" and etsy_extract == "connector":
        from standin import etsy_connector

        # A cursor of its own: the connector's state is saved from the thread that prefetches batches.
        return etsy_connector.read_stream(connection.cursor(), scenario, sync_day, stream.name, stream.lookback_days)
    return records(scenario, source.name, stream.name, sync_day, since)


def _sync_stream(
    connection,
    scenario: Scenario,
    source: Source,
    stream: Stream,
    result: SyncResult,
    index: int,
    on_batch: Callable[[str, int], None] | None,
    bigquery: raw_writer.BigQuerySink | None = None,
) -> None:
    raw_writer.ensure_table(connection, source, stream)
    if bigquery is not None:
        bigquery.ensure_table(source, stream)
    cursor, generation = _stream_state(connection, source, stream)
    first_sync = generation is None
    since = (
        None
        if first_sync or not stream.is_incremental or cursor is None
        else lookback_start(cursor, stream.lookback_days)
    )
    generation_id = 0 if first_sync else generation + (1 if stream.sync_mode == "full_refresh_overwrite" else 0)
    extracted_at = result.extracted_at + dt.timedelta(seconds=index)
    rows = bytes_ = 0
    new_cursor = cursor
    # Append streams commit batch by batch, as Airbyte's destination commits at checkpoints: a
    # sync failing part way keeps what it landed and the old cursor, so the retry re-sends it
    # (at least once, which staging's dedup absorbs). One transaction over a whole history would
    # also hold every landed JSON string in memory until the commit (GiBs at the bench's scale).
    # Overwrite and dedup streams replace rows, so they switch over in one transaction.
    replaces_rows = stream.sync_mode in ("full_refresh_overwrite", "incremental_append_dedup")
    if replaces_rows:
        connection.execute("BEGIN TRANSACTION")
    try:
        if stream.sync_mode == "full_refresh_overwrite":
            raw_writer.truncate(connection, source, stream)
            if bigquery is not None:
                bigquery.truncate(source, stream)
        raw_id_key = zlib.crc32(f"{source.name}.{stream.name}".encode()) * 1_000_000 + result.sync_id * 1_000
        prepared = (
            raw_writer.prepare_batch(
                source, stream, batch, raw_id_seed=scenario.seed, raw_id_key=raw_id_key + chunk_index
            )
            for chunk_index, batch in enumerate(
                _extracted(connection, scenario, source, stream, result.sync_day, since)
            )
        )
        for batch in prefetched(raw_writer.row_group_batches(prepared)):
            if stream.sync_mode == "incremental_append_dedup" and batch.num_rows:
                raw_writer.delete_keys(connection, source, stream, batch)
                if bigquery is not None:
                    bigquery.delete_keys(source, stream, batch)
            rows += raw_writer.insert_batch(
                connection,
                source,
                stream,
                batch,
                extracted_at=extracted_at,
                sync_id=result.sync_id,
                generation_id=generation_id,
            )
            if bigquery is not None:
                bigquery.insert_batch(
                    source,
                    stream,
                    batch,
                    extracted_at=extracted_at,
                    sync_id=result.sync_id,
                    generation_id=generation_id,
                )
            bytes_ += batch.nbytes
            if on_batch is not None:
                on_batch(stream.name, batch.num_rows)
            if stream.is_incremental and batch.num_rows:
                batch_max = pc.max(batch[stream.cursor_field]).as_py()
                new_cursor = batch_max if new_cursor is None else max(new_cursor, batch_max)
        _save_stream_state(connection, source, stream, new_cursor, generation_id)
        if replaces_rows:
            connection.execute("COMMIT")
    except BaseException:
        if replaces_rows:
            connection.execute("ROLLBACK")
        raise
    result.rows_per_stream[stream.name] = rows
    result.rows_synced += rows
    result.bytes_synced += bytes_


def run_sync(
    duckdb_path: str | Path,
    source_name: str,
    sync_day: dt.date,
    scenario: Scenario | None = None,
    fail_after_streams: int | None = None,
    on_batch: Callable[[str, int], None] | None = None,
    now: dt.datetime | None = None,
    bigquery: raw_writer.BigQuerySink | None = None,
) -> SyncResult:
    """Land in the DuckDB file what the source's Airbyte connection syncs early on sync_day
    (shop data complete through sync_day - 1). With fail_after_streams=k, the first k streams
    land and the sync then raises SyncFailed, as a sync that dies part way. on_batch(stream,
    rows) is called after each landed batch (progress reporting). `now` (default: the wall
    clock) is the moment of the sync: asked too early on sync_day, it lands what the sync of
    the latest day whose extraction had started by then lands (calendar.sync_day_as_of).
    `bigquery` (a raw_writer.BigQuerySink): every batch also lands in BigQuery, as Airbyte's
    BigQuery destination writes it; the connection's state stays in the DuckDB file."""
    sources = load_sources()
    if source_name not in sources:
        raise KeyError(f"no source {source_name!r} in sources.yaml; sources: {sorted(sources)}")
    source = sources[source_name]
    path = Path(duckdb_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path), config=DUCKDB_CONFIG) as connection:
        _ensure_state(connection)
        world = _resolve_scenario(connection, scenario, sync_day, path)
        sync_day = calendar.sync_day_as_of(world, sync_day, now or dt.datetime.now(dt.UTC))
        (last_id,) = connection.execute(
            f"SELECT coalesce(max(sync_id), 0) FROM {STATE_SCHEMA}.sync_runs WHERE source_name = ?", [source_name]
        ).fetchone()
        result = SyncResult(
            sync_id=last_id + 1,
            source_name=source_name,
            sync_day=sync_day,
            extracted_at=calendar.extraction_start(world, sync_day),
        )
        error = None
        try:
            for index, stream in enumerate(source.streams):
                if fail_after_streams is not None and index >= fail_after_streams:
                    raise SyncFailed(
                        f"simulated failure of the {source_name} sync of {sync_day} after {index} of "
                        f"{len(source.streams)} streams (landed: {list(result.rows_per_stream)})"
                    )
                _sync_stream(connection, world, source, stream, result, index, on_batch, bigquery)
        except BaseException as failure:
            error = failure
            raise
        finally:
            connection.execute(
                f"INSERT INTO {STATE_SCHEMA}.sync_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    result.sync_id,
                    source_name,
                    sync_day,
                    result.extracted_at,
                    "succeeded" if error is None else "failed",
                    result.rows_synced,
                    result.bytes_synced,
                    json.dumps(result.rows_per_stream),
                    None if error is None else str(error),
                ],
            )
    return result
