"""The extract branch of a run: which sources to sync, from the run's params
(shop_analytics.config.run_params). The DAG's first task, `check_run_params`, calls it, so a
bad manual trigger fails at once with the reason and unselected sources are skipped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any


def selected_sync_tasks(params: Mapping[str, Any], trigger_task_ids: Mapping[str, str]) -> list[str]:
    """Check what the schema cannot, and return the trigger tasks of the selected sources."""
    start, end = params.get("start_date"), params.get("end_date")
    if (start is None) != (end is None):
        raise ValueError(
            f"params start_date={start!r} and end_date={end!r}: give both days of the range, or neither "
            "to rebuild the run's data interval"
        )
    if start is not None and dt.date.fromisoformat(end) <= dt.date.fromisoformat(start):
        raise ValueError(
            f"params end_date={end} must be after start_date={start} (the range is [start_date, end_date))"
        )
    return [trigger_task_ids[name] for name in params["sources"]]
