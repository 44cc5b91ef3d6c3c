"""Stands in for Airbyte's BigQuery destination (Destinations V2, direct load) on DuckDB: one
table per stream in the source's raw schema, Airbyte's four metadata columns, then one typed
column per top-level property of the stream's schema, nested objects and arrays as JSON.

Records arrive as Arrow tables; `prepare_batch` gives them raw ids and turns their nested
columns into JSON text (on any thread, so it can run beside the writer), `row_group_batches`
re-cuts them to DuckDB's row groups and `insert_batch` lands each with one vectorised
INSERT ... SELECT."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterable, Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

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


# BigQuery NUMERIC holds 29 integer digits; Airbyte's destination writes a larger number as
# NULL and lists it in `_airbyte_meta.changes` (reason DESTINATION_FIELD_SIZE_LIMITATION).
NUMERIC_LIMIT = 10**29


def _oversized_number_columns(columns: list[Column], batch: pa.Table) -> list[Column]:
    """The number columns of the batch holding a value the destination cannot type."""
    return [
        column
        for column in columns
        if column.duckdb_type.startswith("DECIMAL")
        and batch[column.name].null_count < batch.num_rows
        and pc.max(pc.abs(batch[column.name])).as_py() >= NUMERIC_LIMIT
    ]


def _nulled_when_oversized(column: Column) -> tuple[str, str]:
    """The column's select expression, NULL where oversized, and its `changes` entry there."""
    name = quote(column.name)
    oversized = f"abs({name}) >= {NUMERIC_LIMIT}"
    value = f"CASE WHEN {oversized} THEN NULL ELSE CAST({name} AS {column.duckdb_type}) END AS {name}"
    change = (
        f"CASE WHEN {oversized} THEN {{'field': '{column.name}', 'change': 'NULLED', "
        "'reason': 'DESTINATION_FIELD_SIZE_LIMITATION'} END"
    )
    return value, change


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


# DuckDB's default row group size. A commit whose rows fill whole row groups writes them
# straight into the database file; a partial group goes through the WAL and is written again
# at the next checkpoint (measured 3x the CPU when every batch left one behind).
ROW_GROUP_ROWS = 122_880
RAW_ID = "_airbyte_raw_id"

_serialising = threading.local()


def _serialising_connection() -> duckdb.DuckDBPyConnection:
    if not hasattr(_serialising, "connection"):
        _serialising.connection = duckdb.connect(config={"threads": 1, "memory_limit": "512MB"})
    return _serialising.connection


def prepare_batch(source: Source, stream: Stream, records: pa.Table, *, raw_id_seed: int, raw_id_key: int) -> pa.Table:
    """The records as the destination writes them: a deterministic `_airbyte_raw_id` (uuid per
    seed, key and position), then the stream's fields with objects and arrays as JSON text, typed
    with Arrow's JSON extension so that DuckDB lands it without parsing it again. Runs in a
    thread's own in-memory DuckDB (whose JSON writer is far faster than Python's), so it can
    run beside the writer."""
    _check_fields(source, stream, records)
    columns = stream_columns(source.name, stream.name)
    nested = [c for c in columns if c.is_json]
    text_columns = [RAW_ID, *(c.name for c in nested)]
    connection = _serialising_connection()
    connection.register(
        "__records",
        pa.table(
            [uuid4_array(raw_id_seed, raw_id_key, records.num_rows), *(records[c.name] for c in nested)],
            names=text_columns,
        ).to_reader(),
    )
    try:
        texts = connection.execute(
            f"SELECT CAST({RAW_ID} AS VARCHAR) AS {RAW_ID}, "
            + ", ".join(f"CAST({quote(c.name)} AS JSON)::VARCHAR AS {quote(c.name)}" for c in nested)
            + " FROM __records"
        ).fetch_arrow_table()
    finally:
        connection.unregister("__records")
    json_text = {
        c.name: pa.chunked_array(
            [pa.ExtensionArray.from_storage(pa.json_(chunk.type), chunk) for chunk in texts[c.name].chunks],
            type=pa.json_(texts[c.name].type),
        )
        for c in nested
    }
    return pa.table(
        [texts[RAW_ID], *(json_text.get(c.name, records[c.name]) for c in columns)],
        names=[RAW_ID, *(c.name for c in columns)],
    )


def row_group_batches(batches: Iterable[pa.Table]) -> Iterator[pa.Table]:
    """The same rows in the same order, re-cut into batches of exactly one row group (the last
    one shorter); batches are concatenated and sliced without copying."""
    pending: list[pa.Table] = []
    pending_rows = 0
    for batch in batches:
        pending.append(batch)
        pending_rows += batch.num_rows
        if pending_rows < ROW_GROUP_ROWS:
            continue
        rows = pa.concat_tables(pending, promote_options="default")
        whole = pending_rows - pending_rows % ROW_GROUP_ROWS
        for start in range(0, whole, ROW_GROUP_ROWS):
            yield rows.slice(start, ROW_GROUP_ROWS)
        pending = [rows.slice(whole)]
        pending_rows -= whole
    if pending_rows:
        yield pa.concat_tables(pending, promote_options="default")


def insert_batch(
    connection: duckdb.DuckDBPyConnection,
    source: Source,
    stream: Stream,
    batch: pa.Table,
    *,
    extracted_at: dt.datetime,
    sync_id: int,
    generation_id: int,
) -> int:
    """Append one prepared batch (prepare_batch) to the stream's table; returns the rows landed."""
    columns = stream_columns(source.name, stream.name)
    expected = [RAW_ID, *(c.name for c in columns)]
    if batch.column_names != expected:
        raise ValueError(
            f"{source.name}.{stream.name}: a batch to land has columns {batch.column_names}, not {expected}; "
            "prepare the records with raw_writer.prepare_batch"
        )
    if batch.num_rows == 0:
        return 0
    oversized = _oversized_number_columns(columns, batch)
    if oversized:
        nulled = {column.name: _nulled_when_oversized(column) for column in oversized}
        select = ", ".join(nulled[c.name][0] if c.name in nulled else _cast(c) for c in columns)
        changes = ", ".join(change for _, change in nulled.values())
        meta_sql = f"to_json({{'sync_id': {int(sync_id)}, 'changes': list_filter([{changes}], x -> x IS NOT NULL)}})"
    else:
        select = ", ".join(_cast(c) for c in columns)
        meta_sql = "CAST(? AS JSON)"
    meta = json.dumps({"sync_id": sync_id, "changes": []})
    # A C++ record batch reader: DuckDB scans it without going back to Python for each batch.
    connection.register("__airbyte_batch", batch.to_reader())
    try:
        connection.execute(
            f"INSERT INTO {table_name(source, stream)} "
            f"SELECT {RAW_ID}, CAST(? AS TIMESTAMPTZ), {meta_sql}, CAST(? AS BIGINT), {select} "
            "FROM __airbyte_batch",
            [extracted_at, generation_id] if oversized else [extracted_at, meta, generation_id],
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


# --- the BigQuery sink: the same prepared batches, landed through google-cloud-bigquery ---

# Airbyte's BigQuery destination types (shared/reference README §2), by Airbyte JSON type.
BIGQUERY_TYPE_OF_AIRBYTE_TYPE = {
    "string": "STRING",
    "integer": "INT64",
    "number": "NUMERIC",
    "boolean": "BOOL",
    "date-time": "TIMESTAMP",
    "date": "DATE",
    "object": "JSON",
    "array": "JSON",
}
BIGQUERY_AIRBYTE_COLUMNS = (
    ("_airbyte_raw_id", "STRING"),
    ("_airbyte_extracted_at", "TIMESTAMP"),
    ("_airbyte_meta", "JSON"),
    ("_airbyte_generation_id", "INT64"),
)
# BigQuery clusters on at most four columns.
BIGQUERY_MAX_CLUSTER_COLUMNS = 4


class BigQuerySink:
    """Lands prepared batches (prepare_batch) into BigQuery as Airbyte's BigQuery destination
    does: a dataset per source, a table per stream with the four metadata columns and the
    stream's typed columns, partitioned by day of `_airbyte_extracted_at` and clustered by the
    primary key. Rows go in with load jobs (newline-delimited JSON), the client calls a real
    load makes; the sync (standin.sync) hands the same batches to this sink and to DuckDB."""

    def __init__(self, client, location: str = "US") -> None:
        self.client = client
        self.location = location

    def table_id(self, source: Source, stream: Stream) -> str:
        return f"{self.client.project}.{source.raw_schema}.{stream.name}"

    def ensure_table(self, source: Source, stream: Stream) -> None:
        from google.cloud import bigquery

        dataset = bigquery.Dataset(f"{self.client.project}.{source.raw_schema}")
        dataset.location = self.location
        self.client.create_dataset(dataset, exists_ok=True)
        columns = stream_columns(source.name, stream.name)
        table = bigquery.Table(
            self.table_id(source, stream),
            schema=[
                *(bigquery.SchemaField(name, sql_type) for name, sql_type in BIGQUERY_AIRBYTE_COLUMNS),
                *(bigquery.SchemaField(c.name, BIGQUERY_TYPE_OF_AIRBYTE_TYPE[c.airbyte_type]) for c in columns),
            ],
        )
        table.time_partitioning = bigquery.TimePartitioning(
            type_=bigquery.TimePartitioningType.DAY, field="_airbyte_extracted_at"
        )
        if stream.primary_key:
            table.clustering_fields = list(stream.primary_key)[:BIGQUERY_MAX_CLUSTER_COLUMNS]
        self.client.create_table(table, exists_ok=True)

    def truncate(self, source: Source, stream: Stream) -> None:
        """Full refresh overwrite: the previous generation goes (the sync lands the new one next)."""
        self._run(f"DELETE FROM `{self.table_id(source, stream)}` WHERE true")

    def delete_keys(self, source: Source, stream: Stream, batch: pa.Table) -> None:
        """Append + deduped: the rows of the batch's primary keys go before the batch lands. The
        keys go to a staging table by a load job (a batch holds up to a row group of them: too
        many for query parameters), then one DELETE matches on them."""
        import io

        from google.cloud import bigquery

        if not stream.primary_key:
            raise ValueError(f"{source.name}.{stream.name} is append + deduped but has no primary key in sources.yaml")
        columns = stream_columns(source.name, stream.name)
        types = {c.name: BIGQUERY_TYPE_OF_AIRBYTE_TYPE[c.airbyte_type] for c in columns}
        keys_id = f"{self.table_id(source, stream)}__airbyte_keys"
        keys = batch.select(list(stream.primary_key)).to_pylist()
        self.client.load_table_from_file(
            io.BytesIO("".join(json.dumps(row, default=str) + "\n" for row in keys).encode()),
            keys_id,
            location=self.location,
            job_config=bigquery.LoadJobConfig(
                source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
                write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
                schema=[bigquery.SchemaField(key, types[key]) for key in stream.primary_key],
            ),
        ).result()
        try:
            matches = " AND ".join(f"k.`{key}` = t.`{key}`" for key in stream.primary_key)
            self._run(
                f"DELETE FROM `{self.table_id(source, stream)}` t "
                f"WHERE EXISTS (SELECT 1 FROM `{keys_id}` k WHERE {matches})"
            )
        finally:
            self.client.delete_table(keys_id, not_found_ok=True)

    def insert_batch(
        self,
        source: Source,
        stream: Stream,
        batch: pa.Table,
        *,
        extracted_at: dt.datetime,
        sync_id: int,
        generation_id: int,
    ) -> int:
        """Append one prepared batch with one load job; returns the rows landed. A number beyond
        NUMERIC lands NULL with its `_airbyte_meta` change, as on the DuckDB sink."""
        import io

        from google.cloud import bigquery

        columns = stream_columns(source.name, stream.name)
        if batch.num_rows == 0:
            return 0
        lines = []
        for record in batch.to_pylist():
            changes = []
            row = {
                RAW_ID: record[RAW_ID],
                "_airbyte_extracted_at": extracted_at.isoformat(),
                "_airbyte_generation_id": generation_id,
            }
            for column in columns:
                value = record[column.name]
                if value is None:
                    row[column.name] = None
                elif column.is_json:
                    row[column.name] = json.loads(value)
                elif column.airbyte_type == "number" and abs(value) >= NUMERIC_LIMIT:
                    row[column.name] = None
                    changes.append(
                        {"field": column.name, "change": "NULLED", "reason": "DESTINATION_FIELD_SIZE_LIMITATION"}
                    )
                elif column.airbyte_type in ("number", "date-time", "date"):
                    row[column.name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
                else:
                    row[column.name] = value
            row["_airbyte_meta"] = {"sync_id": sync_id, "changes": changes}
            lines.append(json.dumps(row, separators=(",", ":")))
        job = self.client.load_table_from_file(
            io.BytesIO(("\n".join(lines) + "\n").encode()),
            self.table_id(source, stream),
            location=self.location,
            job_config=bigquery.LoadJobConfig(
                source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
                write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
            ),
        )
        job.result()
        return batch.num_rows

    def _run(self, sql: str, parameters=None) -> None:
        from google.cloud import bigquery

        self.client.query(
            sql, job_config=bigquery.QueryJobConfig(query_parameters=parameters or []), location=self.location
        ).result()
