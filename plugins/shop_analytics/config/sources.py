"""Typed view of sources.yaml, the single list of sources and their Airbyte streams."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

# A deployment (or a test registering another source) may point at its own catalogue.
SOURCES_FILE = Path(os.environ.get("SHOP_ANALYTICS_SOURCES_FILE", Path(__file__).with_name("sources.yaml")))

SYNC_MODES = (
    "full_refresh_overwrite",
    "full_refresh_append",
    "incremental_append",
    "incremental_append_dedup",
)


@dataclass(frozen=True)
class Stream:
    name: str
    sync_mode: str
    primary_key: tuple[str, ...]
    schema_ref: str
    cursor_field: str | None = None
    lookback_days: int = 0

    @property
    def is_incremental(self) -> bool:
        return self.sync_mode.startswith("incremental")


@dataclass(frozen=True)
class Source:
    name: str
    description: str
    raw_schema: str
    airbyte_connection_id: str
    warn_after_hours: int
    error_after_hours: int
    streams: tuple[Stream, ...]

    def stream(self, name: str) -> Stream:
        for stream in self.streams:
            if stream.name == name:
                return stream
        raise KeyError(f"source {self.name!r} has no stream {name!r}; streams: {[s.name for s in self.streams]}")


def _parse_stream(source_name: str, name: str, spec: dict) -> Stream:
    sync_mode = spec["sync_mode"]
    if sync_mode not in SYNC_MODES:
        raise ValueError(
            f"{SOURCES_FILE}: stream {source_name}.{name} has sync_mode {sync_mode!r}; use one of {SYNC_MODES}"
        )
    if sync_mode.startswith("incremental") and not spec.get("cursor_field"):
        raise ValueError(f"{SOURCES_FILE}: incremental stream {source_name}.{name} needs a cursor_field")
    return Stream(
        name=name,
        sync_mode=sync_mode,
        primary_key=tuple(spec.get("primary_key") or ()),
        schema_ref=spec["schema_ref"],
        cursor_field=spec.get("cursor_field"),
        lookback_days=int(spec.get("lookback_days", 0)),
    )


@cache
def load_sources(path: Path = SOURCES_FILE) -> dict[str, Source]:
    """Sources by name, validated; raises ValueError naming the bad entry."""
    raw = yaml.safe_load(path.read_text())
    sources = {}
    for name, spec in raw["sources"].items():
        sources[name] = Source(
            name=name,
            description=spec["description"],
            raw_schema=spec["raw_schema"],
            airbyte_connection_id=spec["airbyte_connection_id"],
            warn_after_hours=int(spec["freshness"]["warn_after_hours"]),
            error_after_hours=int(spec["freshness"]["error_after_hours"]),
            streams=tuple(_parse_stream(name, s, v) for s, v in spec["streams"].items()),
        )
    return sources
