"""Which Airbyte connection each source syncs through, per deployment.

Defaults are the catalogue's `airbyte_connection_id` (sources.yaml: the local stand-in's
ids). A deployment overrides them with the Airflow Variable `airbyte_connection_ids`, a
JSON object {source name: Airbyte connection id}. The Variable is read when the task runs
(a template field), never when the DAG file is parsed.
"""

from __future__ import annotations

import json
from collections.abc import Collection

from airflow.sdk.exceptions import AirflowFailException

CONNECTION_IDS_VARIABLE = "airbyte_connection_ids"
CONNECTION_IDS_TEMPLATE = "{{ var.value.get('" + CONNECTION_IDS_VARIABLE + "', '{}') }}"


def resolve_connection_id(
    source_name: str, default_connection_id: str, overrides_json: str, known_sources: Collection[str]
) -> str:
    """The Variable's id for the source if it names one, else the default; a malformed Variable fails loudly."""
    example = json.dumps({name: "<Airbyte connection id>" for name in sorted(known_sources)})
    try:
        overrides = json.loads(overrides_json)
    except json.JSONDecodeError as error:
        raise AirflowFailException(
            f"Airflow Variable {CONNECTION_IDS_VARIABLE!r} is not JSON ({error}); set it to an object like {example}"
        ) from error
    if not isinstance(overrides, dict) or not all(isinstance(value, str) and value for value in overrides.values()):
        raise AirflowFailException(
            f"Airflow Variable {CONNECTION_IDS_VARIABLE!r} must map source names to connection ids, like "
            f"{example}; got {overrides_json}"
        )
    unknown = sorted(set(overrides) - set(known_sources))
    if unknown:
        # A misspelt source would otherwise silently sync through the default connection.
        raise AirflowFailException(
            f"Airflow Variable {CONNECTION_IDS_VARIABLE!r} names sources {unknown} that sources.yaml does not "
            f"define (it defines {sorted(known_sources)}); fix the Variable's keys"
        )
    return overrides.get(source_name, default_connection_id)
