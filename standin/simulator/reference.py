"""Record shapes of every stream, from the connectors' reference schemas (copied verbatim into
schemas/ from shared/reference/schemas, so a fresh checkout needs nothing outside the repo).

One place answers "which top-level fields does stream X emit, with which JSON type", for the
simulator, the raw writer (column types) and the conformance tests (JSON Schema)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from shop_analytics.config import load_sources

SCHEMAS_DIR = Path(__file__).with_name("schemas")

# Our Etsy connector adds shop_id (declarative AddFields) where the API leaves it in the URL path.
CONNECTOR_ADDED_FIELDS: dict[tuple[str, str], dict[str, dict]] = {
    ("etsy", "receipts"): {"shop_id": {"type": "integer", "minimum": 1}},
    ("etsy", "ledger_entries"): {"shop_id": {"type": "integer", "minimum": 1}},
}

# GA4 Data API metadata types of the default-report metrics, as the Airbyte connector maps them:
# TYPE_INTEGER -> integer; TYPE_FLOAT/TYPE_SECONDS/TYPE_CURRENCY -> number. Key events
# ("conversions") are TYPE_FLOAT in GA4's metadata, so they land as numbers.
GA4_INTEGER_METRICS = frozenset(
    {
        "active1DayUsers",
        "active7DayUsers",
        "active28DayUsers",
        "totalUsers",
        "newUsers",
        "sessions",
        "screenPageViews",
        "engagedSessions",
        "eventCount",
        "itemsPurchased",
        "itemsAddedToCart",
        "itemsViewed",
    }
)

# Airbyte destination typing (BigQuery types mirrored in DuckDB): see shared/reference README §2.
DUCKDB_TYPE_OF_AIRBYTE_TYPE = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DECIMAL(38,9)",
    "boolean": "BOOLEAN",
    "date-time": "TIMESTAMP WITH TIME ZONE",
    "date": "DATE",
    "object": "JSON",
    "array": "JSON",
}


@dataclass(frozen=True)
class Column:
    name: str
    airbyte_type: str  # a key of DUCKDB_TYPE_OF_AIRBYTE_TYPE

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPE_OF_AIRBYTE_TYPE[self.airbyte_type]

    @property
    def is_json(self) -> bool:
        return self.airbyte_type in ("object", "array")


def _load(file_name: str) -> dict:
    path = SCHEMAS_DIR / file_name
    if not path.exists():
        raise FileNotFoundError(f"reference schema {path} is missing; copy it from shared/reference/schemas")
    return json.loads(path.read_text())


@cache
def _reference_files() -> dict[str, dict]:
    return {
        name: _load(name)
        for name in ("etsy_v3_schemas.json", "airbyte_ga4_default_reports.json", "airbyte_instagram_streams.json")
    }


def _openapi_to_json_schema(schema: dict) -> dict:
    """OpenAPI 3.0 `nullable: true` -> JSON Schema type unions, recursively."""
    schema = copy.deepcopy(schema)

    def convert(node: dict) -> dict:
        if node.pop("nullable", False) and "type" in node:
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        for key in ("properties",):
            for name, child in node.get(key, {}).items():
                node[key][name] = convert(child)
        if isinstance(node.get("items"), dict):
            node["items"] = convert(node["items"])
        return node

    return convert(schema)


def _ga4_report(report_name: str) -> dict:
    for report in _reference_files()["airbyte_ga4_default_reports.json"]["default_reports"]:
        if report["name"] == report_name:
            return report
    raise KeyError(f"airbyte_ga4_default_reports.json has no default report {report_name!r}")


def _ga4_json_schema(report_name: str) -> dict:
    report = _ga4_report(report_name)
    properties: dict[str, dict] = {"property_id": {"type": "string"}}
    for dimension in report["dimensions"]:
        # `date` is YYYYMMDD in the property's time zone, a plain string.
        properties[dimension] = (
            {"type": "string", "pattern": "^[0-9]{8}$"} if dimension == "date" else {"type": "string"}
        )
    for metric in report["metrics"]:
        properties[metric] = {"type": "integer" if metric in GA4_INTEGER_METRICS else "number"}
    properties["startDate"] = {"type": "string", "format": "date"}
    properties["endDate"] = {"type": "string", "format": "date"}
    return {"type": "object", "properties": properties}


@cache
def record_json_schema(source_name: str, stream_name: str) -> dict:
    """JSON Schema of one emitted record of the stream (top-level properties in schema order)."""
    stream = load_sources()[source_name].stream(stream_name)
    file_name, _, definition = stream.schema_ref.partition("#")
    if file_name == "etsy_v3_schemas.json":
        schema = _openapi_to_json_schema(_reference_files()[file_name]["schemas"][definition])
    elif file_name == "airbyte_ga4_default_reports.json":
        schema = _ga4_json_schema(definition)
    elif file_name == "airbyte_instagram_streams.json":
        matches = [s for s in _reference_files()[file_name]["streams"] if s["name"] == definition]
        if not matches:
            raise KeyError(f"{file_name} has no stream {definition!r} (schema_ref of {source_name}.{stream_name})")
        schema = copy.deepcopy(matches[0]["json_schema"])
    else:
        raise ValueError(f"sources.yaml {source_name}.{stream_name}: unknown schema file {file_name!r}")
    schema.setdefault("type", "object")
    for name, field_schema in CONNECTOR_ADDED_FIELDS.get((source_name, stream_name), {}).items():
        schema["properties"][name] = field_schema
    return schema


def _airbyte_type(field_schema: dict) -> str:
    types = field_schema.get("type", "string")
    types = [types] if isinstance(types, str) else [t for t in types if t != "null"]
    (json_type,) = types
    if json_type == "string" and field_schema.get("format") in ("date-time", "date"):
        return field_schema["format"]
    return json_type


@cache
def stream_columns(source_name: str, stream_name: str) -> tuple[Column, ...]:
    """The typed top-level columns Airbyte's destination creates for the stream, in schema order."""
    schema = record_json_schema(source_name, stream_name)
    return tuple(Column(name, _airbyte_type(field)) for name, field in schema["properties"].items())
