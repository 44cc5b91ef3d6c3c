"""The raw writer's batch path: records prepared off the writer's thread, re-cut to DuckDB row
groups, landed exactly as the destination writes them, and the sync's prefetching worker."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pyarrow as pa
import pytest

from shop_analytics.config import load_sources
from standin import raw_writer
from standin.simulator import Scenario, records
from standin.sync import prefetched

SYNC_DAY = dt.date(2025, 3, 2)
SCENARIO = Scenario(seed=3, n_shops=2, history_start=dt.date(2025, 1, 1), orders_per_day=12.0)


def _receipts() -> tuple:
    source = load_sources()["etsy"]
    return source, source.stream("receipts")


def test_row_group_batches_keep_every_row_in_order_in_whole_row_groups():
    size = raw_writer.ROW_GROUP_ROWS
    sizes = [size // 3, size, 5, 2 * size + 7, 0, size // 2]
    start = 0
    batches = []
    for n in sizes:
        batches.append(pa.table({"n": pa.array(range(start, start + n), pa.int64())}))
        start += n
    cut = list(raw_writer.row_group_batches(batches))
    assert [b.num_rows for b in cut[:-1]] == [size] * (len(cut) - 1)
    assert 0 < cut[-1].num_rows <= size
    assert pa.concat_tables(cut)["n"].to_pylist() == list(range(start))


def test_prepared_receipts_carry_raw_ids_and_the_json_duckdb_writes():
    source, stream = _receipts()
    batch = next(b for b in records(SCENARIO, "etsy", "receipts", SYNC_DAY, None) if b.num_rows)
    prepared = raw_writer.prepare_batch(source, stream, batch, raw_id_seed=3, raw_id_key=11)
    assert prepared.column_names[0] == raw_writer.RAW_ID
    assert prepared.num_rows == batch.num_rows
    again = raw_writer.prepare_batch(source, stream, batch, raw_id_seed=3, raw_id_key=11)
    assert prepared[raw_writer.RAW_ID].equals(again[raw_writer.RAW_ID])
    assert len(set(prepared[raw_writer.RAW_ID].to_pylist())) == batch.num_rows
    assert prepared.schema.field("transactions").type == pa.json_(pa.string())
    first = json.loads(prepared["transactions"][0].as_py())
    assert first == batch["transactions"][0].as_py()


def test_insert_refuses_records_that_were_not_prepared(tmp_path):
    source, stream = _receipts()
    batch = next(b for b in records(SCENARIO, "etsy", "receipts", SYNC_DAY, None) if b.num_rows)
    with duckdb.connect(str(tmp_path / "raw.duckdb")) as connection:
        raw_writer.ensure_table(connection, source, stream)
        with pytest.raises(ValueError, match="prepare_batch"):
            raw_writer.insert_batch(
                connection,
                source,
                stream,
                batch,
                extracted_at=dt.datetime(2025, 3, 2, 2, tzinfo=dt.UTC),
                sync_id=1,
                generation_id=0,
            )


def test_prefetched_yields_the_same_items_and_raises_the_workers_error():
    assert list(prefetched(iter(range(5)))) == [0, 1, 2, 3, 4]

    def failing():
        yield 1
        raise RuntimeError("simulator broke")

    seen = []
    with pytest.raises(RuntimeError, match="simulator broke"):
        for item in prefetched(failing()):
            seen.append(item)
    assert seen == [1]
