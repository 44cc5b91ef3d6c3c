"""run_sync lands what Airbyte would: typed tables, metadata columns, each sync mode's
duplicates exactly where Airbyte produces them, partial failures, one world per file."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from shop_analytics.config import load_sources
from standin.simulator import Scenario
from standin.simulator.reference import stream_columns
from standin.sync import SyncFailed, run_sync

FIRST_DAY = dt.date(2026, 1, 5)
SCENARIO = Scenario(seed=42, n_shops=2, history_start=dt.date(2025, 11, 1), orders_per_day=8)
SOURCES = load_sources()


def sync_days(path, days, sources=("etsy", "ga4", "instagram"), scenario=SCENARIO):
    return [run_sync(path, source, day, scenario=scenario) for day in days for source in sources]


def query(path, sql, params=None):
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def two_days(tmp_path_factory):
    path = tmp_path_factory.mktemp("sync") / "raw.duckdb"
    results = sync_days(path, [FIRST_DAY, FIRST_DAY + dt.timedelta(days=1)])
    return path, results


def test_tables_have_airbyte_columns_then_the_schema_columns_typed(two_days):
    path, _ = two_days
    for source in SOURCES.values():
        for stream in source.streams:
            described = query(path, f'DESCRIBE "{source.raw_schema}"."{stream.name}"')
            names = [row[0] for row in described]
            types = [row[1] for row in described]
            expected = stream_columns(source.name, stream.name)
            assert names[:4] == ["_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_meta", "_airbyte_generation_id"]
            assert types[:4] == ["VARCHAR", "TIMESTAMP WITH TIME ZONE", "JSON", "BIGINT"]
            assert names[4:] == [c.name for c in expected]
            assert types[4:] == [c.duckdb_type for c in expected]
    assert ("shop_id", "BIGINT") in [(r[0], r[1]) for r in query(path, "DESCRIBE raw_etsy.receipts")]


def test_metadata_identifies_the_sync_and_raw_ids_are_unique(two_days):
    path, results = two_days
    etsy_sync_ids = sorted(r.sync_id for r in results if r.source_name == "etsy")
    landed = query(
        path, "SELECT DISTINCT CAST(_airbyte_meta->>'sync_id' AS INT) FROM raw_etsy.ledger_entries ORDER BY 1"
    )
    assert [row[0] for row in landed] == etsy_sync_ids
    assert query(path, "SELECT count(*) = count(DISTINCT _airbyte_raw_id) FROM raw_etsy.ledger_entries") == [(True,)]
    assert query(path, "SELECT DISTINCT json_extract(_airbyte_meta, '$.changes')::VARCHAR FROM raw_ga4.pages") == [
        ("[]",)
    ]


def test_sync_result_counts_what_landed(two_days):
    path, results = two_days
    for result in results:
        source = SOURCES[result.source_name]
        assert set(result.rows_per_stream) == {s.name for s in source.streams}
        assert result.rows_synced == sum(result.rows_per_stream.values()) > 0
        assert result.bytes_synced > 0
        for stream, rows in result.rows_per_stream.items():
            landed = query(
                path,
                f'SELECT count(*) FROM "{source.raw_schema}"."{stream}" WHERE _airbyte_meta->>\'sync_id\' = ?',
                [str(result.sync_id)],
            )[0][0]
            if SOURCES[result.source_name].stream(stream).sync_mode in ("incremental_append", "full_refresh_append"):
                assert landed == rows, f"{result.source_name}.{stream}"


def test_first_sync_lands_the_history_and_the_next_only_changes_plus_lookback(two_days):
    _, results = two_days
    first, second = [r for r in results if r.source_name == "etsy"]
    assert first.rows_per_stream["receipts"] > 10 * second.rows_per_stream["receipts"] > 0
    ga4_first, ga4_second = [r for r in results if r.source_name == "ga4"]
    # GA4: history_start .. day before; then the lookback (2 days) + cursor day + 1 new day per property.
    days = (FIRST_DAY - SCENARIO.history_start).days
    assert ga4_first.rows_per_stream["website_overview"] == days * SCENARIO.n_shops
    assert ga4_second.rows_per_stream["website_overview"] == 4 * SCENARIO.n_shops


def test_incremental_append_duplicates_only_re_sent_records(two_days):
    path, _ = two_days
    duplicated = query(
        path,
        """SELECT count(*) FILTER (WHERE copies > 1), count(*) FROM (
               SELECT receipt_id, count(*) AS copies FROM raw_etsy.receipts GROUP BY 1)""",
    )[0]
    assert 0 < duplicated[0] < duplicated[1]
    # A re-sent receipt either changed since its first extract or sits in the lookback window.
    stale = query(
        path,
        """WITH extracts AS (SELECT receipt_id, updated_timestamp, _airbyte_extracted_at,
                   row_number() OVER (PARTITION BY receipt_id ORDER BY _airbyte_extracted_at) AS n
               FROM raw_etsy.receipts)
           SELECT count(*) FROM extracts later JOIN extracts earlier USING (receipt_id)
           WHERE later.n = 2 AND earlier.n = 1
             AND later.updated_timestamp < epoch(earlier._airbyte_extracted_at) - 4 * 86400""",
    )
    assert stale == [(0,)]
    ga4_dupes = query(
        path,
        "SELECT count(*) FROM (SELECT property_id, date FROM raw_ga4.website_overview "
        "GROUP BY 1, 2 HAVING count(*) > 1)",
    )[0][0]
    assert ga4_dupes == 3 * SCENARIO.n_shops  # the cursor day and its two lookback days


def test_ga4_re_sends_show_settled_numbers(two_days):
    path, _ = two_days
    yesterday = (FIRST_DAY - dt.timedelta(days=1)).strftime("%Y%m%d")
    versions = query(
        path,
        "SELECT property_id, list(sessions ORDER BY _airbyte_extracted_at) FROM raw_ga4.website_overview "
        "WHERE date = ? GROUP BY 1",
        [yesterday],
    )
    for _, sessions in versions:
        assert len(sessions) == 2 and sessions[1] > sessions[0]


def test_overwrite_replaces_and_dedup_keeps_one_row_per_key(two_days):
    path, _ = two_days
    assert query(path, "SELECT count(*), count(DISTINCT shop_id), max(_airbyte_generation_id) FROM raw_etsy.shops") == [
        (2, 2, 1)
    ]
    assert query(path, "SELECT count(*) = count(DISTINCT listing_id) FROM raw_etsy.listings") == [(True,)]
    assert query(path, "SELECT count(*) = count(DISTINCT id) FROM raw_instagram.media") == [(True,)]
    # Full refresh append: every sync appends the lifetime snapshot of every post again.
    per_post = query(path, "SELECT DISTINCT count(*) FROM raw_instagram.media_insights GROUP BY id")
    assert {row[0] for row in per_post} <= {1, 2} and (2,) in per_post


def test_syncing_daily_then_deduplicating_equals_one_first_sync(tmp_path):
    daily, once = tmp_path / "daily.duckdb", tmp_path / "once.duckdb"
    days = [FIRST_DAY + dt.timedelta(days=k) for k in range(6)]
    sync_days(daily, days, sources=("etsy", "ga4"))
    sync_days(once, days[-1:], sources=("etsy", "ga4"))
    for table, key, columns in (
        (
            "raw_etsy.receipts",
            "receipt_id",
            "receipt_id, status, updated_timestamp, grandtotal::VARCHAR, refunds::VARCHAR",
        ),
        ("raw_etsy.payments", "payment_id", "payment_id, status, adjusted_net::VARCHAR"),
        ("raw_etsy.ledger_entries", "entry_id", "entry_id, amount, balance, ledger_type"),
        ("raw_etsy.reviews", "transaction_id", "transaction_id, rating"),
        (
            "raw_ga4.traffic_sources",
            "property_id, date, sessionSource, sessionMedium",
            "property_id, date, sessionSource, sessions",
        ),
    ):
        # GA4: the latest extract of a day replaces the whole day (rows it no longer has
        # vanish, as staging's ga4_latest_extract_of_day does); Etsy: the latest record per key.
        day_replaced = (
            f"(SELECT * FROM {table} QUALIFY dense_rank() OVER (PARTITION BY property_id, date "
            "ORDER BY (_airbyte_meta->>'sync_id')::INT DESC) = 1)"
            if table.startswith("raw_ga4.")
            else table
        )
        latest = (
            f"SELECT {columns} FROM {day_replaced} QUALIFY row_number() OVER "
            f"(PARTITION BY {key} ORDER BY _airbyte_extracted_at DESC) = 1 ORDER BY ALL"
        )
        assert query(daily, latest) == query(once, latest), table


def test_same_syncs_same_rows(tmp_path):
    first, second = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    for path in (first, second):
        sync_days(path, [FIRST_DAY, FIRST_DAY + dt.timedelta(days=1)], sources=("etsy", "instagram"))
    for table in ("raw_etsy.receipts", "raw_etsy.ledger_entries", "raw_instagram.media_insights"):
        sql = f"SELECT * EXCLUDE (_airbyte_meta), _airbyte_meta::VARCHAR FROM {table} ORDER BY _airbyte_raw_id"
        assert query(first, sql) == query(second, sql), table


def test_a_failed_sync_lands_its_first_streams_and_the_next_sync_catches_up(tmp_path):
    path = tmp_path / "raw.duckdb"
    run_sync(path, "etsy", FIRST_DAY, scenario=SCENARIO)
    with pytest.raises(SyncFailed, match="after 3 of 6 streams"):
        run_sync(path, "etsy", FIRST_DAY + dt.timedelta(days=1), fail_after_streams=3)
    landed = dict(query(path, "SELECT _airbyte_meta->>'sync_id', count(*) FROM raw_etsy.receipts GROUP BY 1"))
    assert set(landed) == {"1", "2"}  # receipts is stream 3 of 6: it landed
    assert dict(query(path, "SELECT _airbyte_meta->>'sync_id', count(*) FROM raw_etsy.payments GROUP BY 1")).keys() == {
        "1"
    }
    assert query(path, "SELECT status FROM _standin_airbyte.sync_runs ORDER BY sync_id") == [
        ("succeeded",),
        ("failed",),
    ]
    retry = run_sync(path, "etsy", FIRST_DAY + dt.timedelta(days=1))
    assert retry.sync_id == 3 and retry.rows_per_stream["payments"] > 0


def test_one_file_holds_one_world(tmp_path):
    path = tmp_path / "raw.duckdb"
    run_sync(path, "instagram", FIRST_DAY, scenario=SCENARIO)
    other = Scenario(**{**SCENARIO.__dict__, "seed": 43})
    with pytest.raises(ValueError, match="one file holds one simulated world"):
        run_sync(path, "instagram", FIRST_DAY, scenario=other)
    assert run_sync(path, "instagram", FIRST_DAY).rows_synced > 0  # no scenario: the stored one


def test_unknown_source_is_a_clear_error(tmp_path):
    with pytest.raises(KeyError, match="no source 'shopify' in sources.yaml"):
        run_sync(tmp_path / "raw.duckdb", "shopify", FIRST_DAY)
