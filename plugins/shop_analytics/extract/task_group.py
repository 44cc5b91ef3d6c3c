"""The DAG's extract: per source, a task group `extract.<source>` of trigger_sync -> wait_for_sync."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

from airflow.sdk import DAG, TaskGroup
from airflow.sdk.definitions._internal.contextmanager import DagContext

from shop_analytics.config import Source, load_sources
from shop_analytics.extract.airbyte import TriggerSourceSyncOperator, WaitForSourceSyncSensor

EXTRACT_GROUP_ID = "extract"


def extract_task_group(
    source: Source,
    *,
    airbyte_conn_id: str = "airbyte_default",
    known_sources: Collection[str] | None = None,
    sync_timeout: timedelta = timedelta(hours=3),
    poll_interval: timedelta = timedelta(minutes=1),
    deferrable: bool = True,
    max_consecutive_api_errors: int = 5,
) -> TaskGroup:
    """Add `extract.<source>.trigger_sync >> extract.<source>.wait_for_sync` to the DAG being defined.

    Call it inside `with DAG(...)`, once per source; the groups share one parent group
    `extract`. Returns the source's group, to wire downstream (e.g. to the dbt source tasks).

    sync_timeout: how long a sync may take before its Airbyte job is cancelled and the
        sensor fails. poll_interval: how often the job's status is read.
    known_sources: the source names the Variable `airbyte_connection_ids` may use
        (default: every source in sources.yaml).
    """
    known_sources = tuple(load_sources()) if known_sources is None else tuple(known_sources)
    with _extract_group(), TaskGroup(group_id=source.name, tooltip=source.description) as group:
        trigger_sync = TriggerSourceSyncOperator(
            task_id="trigger_sync",
            source_name=source.name,
            default_connection_id=source.airbyte_connection_id,
            known_sources=known_sources,
            airbyte_conn_id=airbyte_conn_id,
        )
        WaitForSourceSyncSensor(
            task_id="wait_for_sync",
            source_name=source.name,
            airbyte_job_id=trigger_sync.output,
            airbyte_conn_id=airbyte_conn_id,
            deferrable=deferrable,
            timeout=sync_timeout.total_seconds(),
            poke_interval=poll_interval.total_seconds(),
            max_consecutive_api_errors=max_consecutive_api_errors,
        )
    return group


def _extract_group() -> TaskGroup:
    """The DAG's `extract` group: made by the first source's call, re-entered by the others'."""
    dag: DAG | None = DagContext.get_current()
    if dag is None:
        raise RuntimeError("extract_task_group() adds tasks to a DAG: call it inside `with DAG(...):`")
    existing = dag.task_group.children.get(EXTRACT_GROUP_ID)
    if existing is not None:
        return existing
    return TaskGroup(group_id=EXTRACT_GROUP_ID, tooltip="One Airbyte sync per source")
