"""Stands in for Airbyte's BigQuery destination (Destinations V2, direct load) on DuckDB: one
table per stream in the source's raw schema, Airbyte's four metadata columns, then one typed
column per top-level property of the stream's schema, nested objects and arrays as JSON.

Batches arrive as Arrow tables; `serialise` turns their nested columns into JSON text (on any
thread, so it can run beside the writer) and `insert_batch` lands each with one vectorised
INSERT ... SELECT."""

from __future__ import annotations

import datetime as dt
import json
import threading

import duckdb
import pyarrow as pa

from shop_analytics.config import Source, Stream
from standin.simulator.randomness import uuid4_array
from standin.simulator.reference import Column, stream_columns

AIRBYTE_COLUMNS = (
    ("_airbyte_raw_id", "VARCHAR"),
    ("_airbyte_extracted_at", "TIMESTAMPTZ"),
    ("_airbyte_meta", "JSON"),
    ("_airbyte_generation_id", "BIGINT"),
)


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def table_name(source: Source, stream: Stream) -> str:
    return f"{quote(source.raw_schema)}.{quote(stream.name)}"


def ensure_table(connection: duckdb.DuckDBPyConnection, source: Source, stream: Stream) -> None:
    """Create the stream's final table as the destination would on its first sync."""
    columns = [*AIRBYTE_COLUMNS, *((c.name, c.duckdb_type) for c in stream_columns(source.name, stream.name))]
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(source.raw_schema)}")
    connection.execute(
        f"CREATE TABLE IF NOT EXISTS {table_name(source, stream)} ("
        + ", ".join(f"{quote(name)} {sql_type}" for name, sql_type in columns)
        + ")"
    )


def _cast(column: Column) -> str:
    """DuckDB casts Arrow structs and lists to JSON as to_json does; JSON text (Arrow's JSON
    extension type) lands as is, without being parsed again."""
    return f"CAST({quote(column.name)} AS {column.duckdb_type}) AS {quote(column.name)}"


def _check_fields(source: Source, stream: Stream, batch: pa.Table) -> None:
    expected = [c.name for c in stream_columns(source.name, stream.name)]
    missing = [name for name in expected if name not in batch.column_names]
    unknown = [name for name in batch.column_names if name not in expected]
    if missing or unknown:
        raise ValueError(
            f"records of {source.name}.{stream.name} do not match the stream's schema "
            f"({stream.schema_ref}): missing fields {missing}, unknown fields {unknown}; "
            "fix the simulator or the reference schema, nothing was landed"
        )


_serialising = threading.local()


def _serialising_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB per thread: DuckDB's JSON writer is far faster than Python's."""
    if not hasattr(_serialising, "connection"):
        _serialising.connection = duckdb.connect(config={"threads": 1, "memory_limit": "512MB"})
    return _serialising.connection


def serialise(source: Source, stream: Stream, batch: pa.Table) -> pa.Table:
    """The batch with every object and array column as JSON text, as the destination stores it."""
    _check_fields(source, stream, batch)
    nested = [c for c in stream_columns(source.name, stream.name) if c.is_json]
    if batch.num_rows == 0 or not nested:
        return batch
    connection = _serialising_connection()
    connection.register("__records", batch.select([c.name for c in nested]).to_reader())
    try:
        texts = connection.execute(
            "SELECT "
            + ", ".join(f"CAST({quote(c.name)} AS JSON)::VARCHAR AS {quote(c.name)}" for c in nested)
            + " FROM __records"
        ).fetch_arrow_table()
    finally:
        connection.unregister("__records")
    for column in nested:
        text = texts[column.name]
        batch = batch.set_column(
            batch.schema.get_field_index(column.name),
            pa.field(column.name, pa.json_(text.type)),
            pa.chunked_array([pa.ExtensionArray.from_storage(pa.json_(text.type), chunk) for chunk in text.chunks]),
        )
    return batch


def insert_batch(
    connection: duckdb.DuckDBPyConnection,
    source: Source,
    stream: Stream,
    batch: pa.Table,
    *,
    extracted_at: dt.datetime,
    sync_id: int,
    generation_id: int,
    raw_id_seed: int,
    raw_id_key: int,
) -> int:
    """Append one batch of records to the stream's table; returns the rows landed."""
    _check_fields(source, stream, batch)
    if batch.num_rows == 0:
        return 0
    batch = batch.append_column("__raw_id", uuid4_array(raw_id_seed, raw_id_key, batch.num_rows))
    columns = stream_columns(source.name, stream.name)
    meta = json.dumps({"sync_id": sync_id, "changes": []})
    select = ", ".join(_cast(c) for c in columns)
    # A C++ record batch reader: DuckDB scans it without going back to Python for each batch.
    connection.register("__airbyte_batch", batch.to_reader())
    try:
        connection.execute(
            f"INSERT INTO {table_name(source, stream)} "
            f"SELECT CAST(__raw_id AS VARCHAR), CAST(? AS TIMESTAMPTZ), CAST(? AS JSON), CAST(? AS BIGINT), {select} "
            "FROM __airbyte_batch",
            [extracted_at, meta, generation_id],
        )
    finally:
        connection.unregister("__airbyte_batch")
    return batch.num_rows


def truncate(connection: duckdb.DuckDBPyConnection, source: Source, stream: Stream) -> None:
    """Full refresh overwrite: the previous generation goes when the new one is complete."""
    connection.execute(f"DELETE FROM {table_name(source, stream)}")


def delete_keys(connection: duckdb.DuckDBPyConnection, source: Source, stream: Stream, batch: pa.Table) -> None:
    """Append + deduped: the final table keeps one row per primary key, the latest extract."""
    if not stream.primary_key:
        raise ValueError(f"{source.name}.{stream.name} is append + deduped but has no primary key in sources.yaml")
    keys = batch.select(list(stream.primary_key))
    columns = stream_columns(source.name, stream.name)
    types = {c.name: c.duckdb_type for c in columns}
    condition = " AND ".join(f"t.{quote(k)} = CAST(k.{quote(k)} AS {types[k]})" for k in stream.primary_key)
    connection.register("__airbyte_keys", keys)
    try:
        connection.execute(f"DELETE FROM {table_name(source, stream)} t USING __airbyte_keys k WHERE {condition}")
    finally:
        connection.unregister("__airbyte_keys")
