"""Runs the Etsy declarative connector (connectors/source-etsy) with airbyte-cdk, as an Airbyte
worker does: the connector in its own process and virtualenv (`make connector-venv`), Airbyte's
protocol on its stdout, against the Etsy API stand-in served from the simulator's world.

    read_stream(connection, scenario, sync_day, stream_name) -> Iterator[pyarrow.Table]

yields the stream's RECORD messages as Arrow tables shaped like the simulator's (one column per
top-level property of the stream, nested objects and arrays as JSON text), for the raw writer.
What a connection keeps between syncs lives in the DuckDB file, schema `_standin_airbyte`:
the connector's STATE per stream, and its config as last emitted in a CONTROL message (Etsy
rotates the refresh token on every refresh: only the newest works)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from standin.etsy_api import EtsyApiStandin
from standin.simulator import Scenario, calendar
from standin.simulator.reference import stream_columns

REPO = Path(__file__).resolve().parent.parent
CONNECTOR_DIR = REPO / "connectors" / "source-etsy"
CONNECTOR_PYTHON = Path(os.environ.get("SHOP_ANALYTICS_CONNECTOR_PYTHON", REPO / ".venv-connector" / "bin" / "python"))
STATE_SCHEMA = "_standin_airbyte"
BATCH_RECORDS = 50_000
FULL_REFRESH_STREAMS = frozenset({"shops", "listings"})
ARROW_TYPE = {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(), "string": pa.string()}


class ConnectorFailed(RuntimeError):
    """The connector exited non-zero or reported a failed trace: its message says why."""


def connector_command(*args: str) -> list[str]:
    if not CONNECTOR_PYTHON.exists():
        raise FileNotFoundError(
            f"{CONNECTOR_PYTHON} is missing: the Etsy connector runs in its own virtualenv; create it with "
            "`make connector-venv`"
        )
    return [str(CONNECTOR_PYTHON), str(CONNECTOR_DIR / "main.py"), *args]


def run_connector(
    command: str, config: dict | None, catalog: dict | None = None, state: list | None = None
) -> Iterator[dict]:
    """The connector's Airbyte messages, one dict each, as it writes them."""
    with tempfile.TemporaryDirectory(prefix="source-etsy-") as directory:
        args = [command] if config is None else [command, "--config", _write(directory, "config.json", config)]
        if catalog is not None:
            args += ["--catalog", _write(directory, "catalog.json", catalog)]
        if state is not None:
            args += ["--state", _write(directory, "state.json", state)]
        with subprocess.Popen(
            connector_command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as process:
            for line in process.stdout:
                if line.startswith("{"):
                    yield json.loads(line)
            stderr = process.stderr.read()
        if process.returncode:
            raise ConnectorFailed(f"source-etsy {command} exited with {process.returncode}: {stderr[-2000:]}")


def _write(directory: str, name: str, content) -> str:
    path = Path(directory) / name
    path.write_text(json.dumps(content))
    return str(path)


def configured_catalog(stream_name: str, json_schema: dict) -> dict:
    full_refresh = stream_name in FULL_REFRESH_STREAMS
    return {
        "streams": [
            {
                "stream": {
                    "name": stream_name,
                    "json_schema": json_schema,
                    "supported_sync_modes": ["full_refresh"] if full_refresh else ["full_refresh", "incremental"],
                },
                "sync_mode": "full_refresh" if full_refresh else "incremental",
                "destination_sync_mode": "overwrite" if full_refresh else "append",
            }
        ]
    }


def _ensure_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {STATE_SCHEMA}")
    connection.execute(
        f"CREATE TABLE IF NOT EXISTS {STATE_SCHEMA}.connector_config (source_name VARCHAR PRIMARY KEY, config JSON)"
    )
    connection.execute(
        f"CREATE TABLE IF NOT EXISTS {STATE_SCHEMA}.connector_state "
        "(source_name VARCHAR, stream_name VARCHAR, state JSON, PRIMARY KEY (source_name, stream_name))"
    )


def records_to_table(stream_name: str, rows: list[dict]) -> pa.Table:
    """RECORD data as the simulator's Arrow tables: a typed column per top-level property of the
    stream's schema; objects and arrays as JSON text. A record field outside the schema is an error."""
    columns = stream_columns("etsy", stream_name)
    names = {c.name for c in columns}
    for row in rows:
        unknown = row.keys() - names
        if unknown:
            raise ValueError(
                f"etsy.{stream_name}: the connector emitted fields outside the stream's schema: {sorted(unknown)}"
            )
    arrays = []
    for column in columns:
        values = [row.get(column.name) for row in rows]
        if column.is_json:
            arrays.append(
                pa.array([None if v is None else json.dumps(v, separators=(",", ":")) for v in values], pa.string())
            )
        else:
            arrays.append(pa.array(values, ARROW_TYPE[column.airbyte_type]))
    return pa.table(arrays, names=[c.name for c in columns])


def read_stream(
    connection: duckdb.DuckDBPyConnection, scenario: Scenario, sync_day: dt.date, stream_name: str, lookback_days: int
) -> Iterator[pa.Table]:
    """One connector read of the stream against the Etsy API stand-in at the moment the sync of
    sync_day runs; the connector's new state and rotated config are saved as they arrive."""
    _ensure_tables(connection)
    moment = calendar.extraction_start(scenario, sync_day)
    saved = connection.execute(
        f"SELECT config FROM {STATE_SCHEMA}.connector_config WHERE source_name = 'etsy'"
    ).fetchone()
    state_row = connection.execute(
        f"SELECT state FROM {STATE_SCHEMA}.connector_state WHERE source_name = 'etsy' AND stream_name = ?",
        [stream_name],
    ).fetchone()
    refresh_token = json.loads(saved[0])["credentials"]["refresh_token"] if saved else "standin-refresh-token"
    with EtsyApiStandin(scenario, lambda: moment, refresh_token=refresh_token) as api:
        config = {
            "shop_ids": [shop.shop_id for shop in scenario.shops],
            "client_id": api.credentials.keystring,
            "shared_secret": api.credentials.shared_secret,
            "credentials": {"refresh_token": refresh_token},
            "start_date": scenario.history_start.isoformat(),
            "lookback_days": lookback_days,
            "end_timestamp": int(moment.timestamp()),
            "api_url": api.base_url,
            "token_url": api.token_url,
        }
        schema = {"type": "object", "properties": {c.name: {} for c in stream_columns("etsy", stream_name)}}
        state = json.loads(state_row[0]) if state_row else None
        rows: list[dict] = []
        for message in run_connector("read", config, configured_catalog(stream_name, schema), state):
            kind = message["type"]
            if kind == "RECORD":
                rows.append(message["record"]["data"])
                if len(rows) >= BATCH_RECORDS:
                    yield records_to_table(stream_name, rows)
                    rows = []
            elif kind == "STATE":
                state = [message["state"]]
            elif kind == "CONTROL" and message["control"]["type"] == "CONNECTOR_CONFIG":
                rotated = message["control"]["connectorConfig"]["config"]
                connection.execute(
                    f"INSERT OR REPLACE INTO {STATE_SCHEMA}.connector_config VALUES ('etsy', ?)",
                    [json.dumps({"credentials": {"refresh_token": rotated["credentials"]["refresh_token"]}})],
                )
            elif kind == "TRACE" and message["trace"].get("type") == "ERROR":
                raise ConnectorFailed(
                    f"source-etsy failed reading {stream_name}: {message['trace']['error']['message']}"
                )
        if rows:
            yield records_to_table(stream_name, rows)
    if state is not None:
        connection.execute(
            f"INSERT OR REPLACE INTO {STATE_SCHEMA}.connector_state VALUES ('etsy', ?, ?)",
            [stream_name, json.dumps(state)],
        )
