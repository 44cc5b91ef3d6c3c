"""The stand-in's Airbyte connections, derived from the source catalogue (sources.yaml).

In real Airbyte a connection (source -> destination, its streams and sync modes) is
configured in Airbyte itself; here it is the catalogue's entry, so the stand-in syncs
exactly the streams the dbt project expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shop_analytics.config import Source, load_sources


@dataclass(frozen=True)
class StandinConnection:
    connection_id: str
    source_name: str
    sync_modes: Mapping[str, str]  # stream name -> sync mode


def connections_from_sources(sources: Mapping[str, Source] | None = None) -> dict[str, StandinConnection]:
    """One connection per source, keyed by the catalogue's `airbyte_connection_id`."""
    sources = load_sources() if sources is None else sources
    connections: dict[str, StandinConnection] = {}
    for source in sources.values():
        if source.airbyte_connection_id in connections:
            raise ValueError(
                f"sources {connections[source.airbyte_connection_id].source_name!r} and {source.name!r} share "
                f"airbyte_connection_id {source.airbyte_connection_id}: give each source its own in sources.yaml"
            )
        connections[source.airbyte_connection_id] = StandinConnection(
            connection_id=source.airbyte_connection_id,
            source_name=source.name,
            sync_modes={stream.name: stream.sync_mode for stream in source.streams},
        )
    return connections
