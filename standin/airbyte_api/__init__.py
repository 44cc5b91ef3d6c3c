"""A local Airbyte public-API server standing in for Airbyte Cloud/OSS (never deployed).

    with running_airbyte_standin(duckdb_path=..., today=date(...)) as airbyte:
        airbyte.url, airbyte.client_id, airbyte.client_secret   # the Airflow connection's fields
        airbyte.set_faults(connection_id, queued_polls=3)        # see ConnectionFaults
        airbyte.set_today(date(...))                             # the day new jobs sync as of

`python -m standin.airbyte_api --help` runs it on its own.
"""

from standin.airbyte_api.connections import StandinConnection, connections_from_sources
from standin.airbyte_api.faults import ConnectionFaults
from standin.airbyte_api.server import AirbyteApiStandin, running_airbyte_standin

__all__ = [
    "AirbyteApiStandin",
    "ConnectionFaults",
    "StandinConnection",
    "connections_from_sources",
    "running_airbyte_standin",
]
