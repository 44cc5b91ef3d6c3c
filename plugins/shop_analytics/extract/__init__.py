"""Extract: one Airbyte sync per source, triggered and awaited by Airflow (see docs/airbyte.md)."""

from shop_analytics.extract.airbyte import (
    IN_PROGRESS_STATUSES,
    SourceSyncTrigger,
    TriggerSourceSyncOperator,
    WaitForSourceSyncSensor,
)
from shop_analytics.extract.connection_ids import CONNECTION_IDS_VARIABLE, resolve_connection_id
from shop_analytics.extract.selection import selected_sync_tasks
from shop_analytics.extract.task_group import EXTRACT_GROUP_ID, extract_task_group

__all__ = [
    "CONNECTION_IDS_VARIABLE",
    "EXTRACT_GROUP_ID",
    "IN_PROGRESS_STATUSES",
    "SourceSyncTrigger",
    "TriggerSourceSyncOperator",
    "WaitForSourceSyncSensor",
    "extract_task_group",
    "resolve_connection_id",
    "selected_sync_tasks",
]
