"""The Etsy declarative connector (connectors/source-etsy), run by airbyte-cdk in its own
virtualenv, against the Etsy API stand-in served from a small simulated world: spec, check,
discover, read of every stream (pages, retries, rotated refresh token, official schemas),
incremental reads with their lookback, and the raw tables a connector sync lands."""

from __future__ import annotations

import datetime as dt
import subprocess

import duckdb
import jsonschema
import pytest
import yaml

from standin import etsy_connector
from standin.etsy_api import EtsyApiStandin
from standin.simulator import Scenario, calendar, records
from standin.simulator.reference import record_json_schema
from standin.sync import ETSY_EXTRACT_VARIABLE, run_sync

STREAMS = ("shops", "listings", "receipts", "payments", "reviews", "ledger_entries")
WORLD = Scenario(seed=7, n_shops=2, history_start=dt.date(2025, 11, 20), orders_per_day=6)
SMALL_WORLD = Scenario(seed=11, n_shops=2, history_start=dt.date(2025, 12, 10), orders_per_day=3)
SYNC_DAY = dt.date(2026, 1, 5)
MANIFEST = etsy_connector.CONNECTOR_DIR / "manifest.yaml"


def moment_of(day: dt.date) -> dt.datetime:
    return calendar.extraction_start(WORLD, day)


def config_for(api: EtsyApiStandin, refresh_token: str = "standin-refresh-token", **overrides) -> dict:
    return {
        "shop_ids": [shop.shop_id for shop in WORLD.shops],
        "client_id": api.credentials.keystring,
        "shared_secret": api.credentials.shared_secret,
        "credentials": {"refresh_token": refresh_token},
        "start_date": WORLD.history_start.isoformat(),
        "end_timestamp": int(api.now().timestamp()),
        "api_url": api.base_url,
        "token_url": api.token_url,
        **overrides,
    }


def catalog(streams=STREAMS) -> dict:
    configured = [etsy_connector.configured_catalog(s, {"type": "object"})["streams"][0] for s in streams]
    return {"streams": configured}


def messages(command, config, **kwargs) -> list[dict]:
    return list(etsy_connector.run_connector(command, config, **kwargs))


def of_type(found: list[dict], kind: str) -> list[dict]:
    return [m for m in found if m["type"] == kind]


def test_manifest_validates_against_the_cdk_declarative_schema():
    script = (
        "import sys, yaml, jsonschema, importlib.resources as r;"
        "schema = yaml.safe_load(r.files('airbyte_cdk.sources.declarative')"
        ".joinpath('declarative_component_schema.yaml').read_text());"
        "from airbyte_cdk.sources.declarative.parsers.manifest_reference_resolver import ManifestReferenceResolver;"
        "manifest = ManifestReferenceResolver().preprocess_manifest(yaml.safe_load(open(sys.argv[1])));"
        "jsonschema.validate(manifest, schema); print('valid')"
    )
    done = subprocess.run(
        [str(etsy_connector.CONNECTOR_PYTHON), "-c", script, str(MANIFEST)], capture_output=True, text=True
    )
    assert done.stdout.strip() == "valid", done.stderr[-3000:]


def test_record_schemas_are_etsys_official_ones():
    manifest = yaml.safe_load(MANIFEST.read_text())
    for stream in STREAMS:
        schema = dict(manifest["schemas"][stream])
        schema.pop("$schema"), schema.pop("additionalProperties")
        assert schema == record_json_schema("etsy", stream), stream


def test_spec_asks_for_shops_client_refresh_token_and_start_date():
    (spec,) = of_type(messages("spec", None), "SPEC")
    specification = spec["spec"]["connectionSpecification"]
    assert set(specification["required"]) == {"shop_ids", "client_id", "shared_secret", "credentials", "start_date"}
    assert specification["properties"]["credentials"]["properties"]["refresh_token"]["airbyte_secret"] is True


def test_check_succeeds_with_good_credentials_and_names_the_fix_with_bad_ones():
    with EtsyApiStandin(WORLD, lambda: moment_of(SYNC_DAY)) as api:
        (good,) = of_type(messages("check", config_for(api)), "CONNECTION_STATUS")
        (stale,) = of_type(messages("check", config_for(api, "an-old-refresh-token")), "CONNECTION_STATUS")
        newest = api.issued_refresh_tokens[-1]
        (bad_secret,) = of_type(messages("check", config_for(api, newest, shared_secret="wrong")), "CONNECTION_STATUS")
    assert good["connectionStatus"]["status"] == "SUCCEEDED"
    assert stale["connectionStatus"]["status"] == "FAILED"
    assert "Re-authenticate" in stale["connectionStatus"]["message"]
    assert bad_secret["connectionStatus"]["status"] == "FAILED"
    assert "shared_secret" in bad_secret["connectionStatus"]["message"]


def test_discover_lists_every_stream_with_its_primary_key():
    with EtsyApiStandin(WORLD, lambda: moment_of(SYNC_DAY)) as api:
        (found,) = of_type(messages("discover", config_for(api)), "CATALOG")
    streams = {s["name"]: s for s in found["catalog"]["streams"]}
    assert set(streams) == set(STREAMS)
    assert streams["receipts"]["source_defined_primary_key"] == [["receipt_id"]]


@pytest.fixture(scope="module")
def first_read():
    """One read of every stream, with two 429s and two 503s on the way."""
    with EtsyApiStandin(WORLD, lambda: moment_of(SYNC_DAY)) as api:
        api.faults.rate_limited, api.faults.server_errors = 2, 2
        api.faults.retry_after_seconds = 1
        found = messages("read", config_for(api), catalog=catalog())
        return found, list(api.requests), list(api.issued_refresh_tokens)


def records_of(found: list[dict], stream: str) -> list[dict]:
    return [m["record"]["data"] for m in of_type(found, "RECORD") if m["record"]["stream"] == stream]


def test_read_returns_every_stream_as_the_world_holds_it(first_read):
    found, _, _ = first_read
    for stream in STREAMS:
        expected = sum(t.num_rows for t in records(WORLD, "etsy", stream, SYNC_DAY, None))
        assert len(records_of(found, stream)) == expected, stream
        assert expected > 0


def test_every_record_validates_against_the_official_schema(first_read):
    found, _, _ = first_read
    for stream in STREAMS:
        validator = jsonschema.Draft7Validator(record_json_schema("etsy", stream))
        for record in records_of(found, stream):
            validator.validate(record)


def test_read_pages_with_limit_and_offset_and_retries_429_and_5xx(first_read):
    found, requests, _ = first_read
    assert any("offset=100" in r and "/receipts?" in r for r in requests)
    assert all("limit=100" in r for r in requests if "/receipts?" in r)
    # The four faulted requests were sent again: nothing failed.
    assert not [m for m in of_type(found, "TRACE") if m["trace"]["type"] == "ERROR"]


def test_beyond_the_per_second_limit_refused_requests_are_waited_out_and_nothing_is_lost():
    per_second = 4
    with EtsyApiStandin(SMALL_WORLD, lambda: moment_of(SYNC_DAY), per_second_limit=per_second) as api:
        config = config_for(api, shop_ids=[shop.shop_id for shop in SMALL_WORLD.shops])
        config["start_date"] = SMALL_WORLD.history_start.isoformat()
        found = messages("read", config, catalog=catalog(("shops", "reviews")))
    assert not [m for m in of_type(found, "TRACE") if m["trace"]["type"] == "ERROR"]
    expected = sum(t.num_rows for t in records(SMALL_WORLD, "etsy", "reviews", SYNC_DAY, None))
    assert len(records_of(found, "reviews")) == expected > 0


def test_a_spent_daily_limit_stops_the_read_with_the_limit_and_what_to_do():
    with EtsyApiStandin(WORLD, lambda: moment_of(SYNC_DAY), per_day_limit=5) as api:
        found = []
        with pytest.raises(etsy_connector.ConnectorFailed):
            read = etsy_connector.run_connector("read", config_for(api), catalog=catalog(("shops", "receipts")))
            for message in read:
                found.append(message)
        served = len(api.admitted_at)
    errors = [m["trace"]["error"]["message"] for m in of_type(found, "TRACE") if m["trace"]["type"] == "ERROR"]
    assert served == 5, "every request of the day's budget was served, and no more"
    assert any("daily request limit" in error and "5" in error for error in errors), errors


def test_ledger_entries_are_read_in_windows_of_at_most_31_days(first_read):
    _, requests, _ = first_read
    windows = [
        {
            k: int(v)
            for k, v in (p.split("=") for p in r.split("?")[1].split("&"))
            if k in ("min_created", "max_created")
        }
        for r in requests
        if "/ledger-entries?" in r
    ]
    assert len(windows) > 2
    assert all(w["max_created"] - w["min_created"] <= 31 * 86400 for w in windows)


def test_the_rotated_refresh_token_is_emitted_for_the_platform_to_keep(first_read):
    found, _, issued = first_read
    configs = [m["control"]["connectorConfig"]["config"] for m in of_type(found, "CONTROL")]
    assert configs and configs[-1]["credentials"]["refresh_token"] == issued[-1]


def test_no_record_is_newer_than_the_moment_of_the_sync(first_read):
    found, _, _ = first_read
    cutoff = int(moment_of(SYNC_DAY).timestamp())
    assert max(r["created_timestamp"] for r in records_of(found, "receipts")) <= cutoff


def test_a_second_incremental_read_returns_changes_and_rereads_the_lookback(first_read):
    found, _, issued = first_read
    (state,) = [
        m["state"] for m in of_type(found, "STATE") if m["state"]["stream"]["stream_descriptor"]["name"] == "receipts"
    ][-1:]
    cursors = {
        s["partition"]["shop_id"]: int(s["cursor"]["updated_timestamp"])
        for s in state["stream"]["stream_state"]["states"]
    }
    next_day = SYNC_DAY + dt.timedelta(days=1)
    with EtsyApiStandin(WORLD, lambda: moment_of(next_day), refresh_token=issued[-1]) as api:
        second = records_of(
            messages("read", config_for(api, issued[-1]), catalog=catalog(["receipts"]), state=[state]), "receipts"
        )
    first = records_of(found, "receipts")
    assert 0 < len(second) < len(first) / 5
    lookback = 3 * 86400
    assert all(r["updated_timestamp"] >= cursors[r["shop_id"]] - lookback for r in second)
    # Records changed inside the lookback window (refunds, shipments landing late) come again.
    assert any(r["updated_timestamp"] < cursors[r["shop_id"]] for r in second)
    assert any(r["created_timestamp"] > cursors[r["shop_id"]] for r in second)


def test_a_connector_sync_lands_what_the_simulator_path_lands(tmp_path, monkeypatch):
    """The raw tables' contract: same tables, columns and types, and every row the stand-in
    lands directly is landed by the connector path (which may re-send more in its lookback)."""
    paths = {}
    for mode in ("simulator", "connector"):
        monkeypatch.setenv(ETSY_EXTRACT_VARIABLE, mode)
        paths[mode] = tmp_path / f"{mode}.duckdb"
        # One sync of a smaller world: a connector run costs ~3 s of process start per stream.
        run_sync(paths[mode], "etsy", SYNC_DAY, scenario=SMALL_WORLD)
    with duckdb.connect() as connection:
        connection.execute(f"ATTACH '{paths['simulator']}' AS s (READ_ONLY)")
        connection.execute(f"ATTACH '{paths['connector']}' AS c (READ_ONLY)")
        for stream in STREAMS:
            described = [connection.execute(f"DESCRIBE {db}.raw_etsy.{stream}").fetchall() for db in "sc"]
            assert described[0] == described[1], stream
            columns = ", ".join(f'"{row[0]}"' for row in described[0] if not row[0].startswith("_airbyte"))
            missing = connection.execute(
                f"SELECT count(*) FROM (SELECT {columns} FROM s.raw_etsy.{stream} "
                f"EXCEPT SELECT {columns} FROM c.raw_etsy.{stream})"
            ).fetchone()[0]
            assert missing == 0, (
                f"{stream}: {missing} rows landed by the simulator path are not landed by the connector"
            )
        state = connection.execute("SELECT count(*) FROM c._standin_airbyte.connector_config").fetchone()
        assert state == (1,)
