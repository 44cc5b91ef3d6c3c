"""Manual-run params of the DAG, validated by JSON schema, and the dbt window they drive.

A scheduled run (and each run of `airflow backfill create`) takes the defaults: all
sources, no full refresh, dbt's window from the run's data interval, so a backfill of a range
rebuilds exactly its days. A manual run may narrow the sources, widen the days or ask for
a full refresh; Airflow checks each value against its schema when the run is triggered,
and `check_run_params` (shop_analytics.extract.selected_sync_tasks) checks what a schema
cannot (the range's order) as the run's first task, so a bad trigger fails at once with the
reason. The transform group hands the window to dbt (DBT_WINDOW_ENV, FULL_REFRESH).
"""

from __future__ import annotations

from collections.abc import Iterable

from airflow.sdk import Param

# dbt's window [start, end): the manual range when given, else the data interval. Passed as
# environment variables, read by include/dbt/macros/sales/incremental.sql when a model runs
# (dbt --vars would make every daily run re-parse the project).
DBT_WINDOW_ENV = {
    "SHOP_ANALYTICS_START_DATE": "{{ params.start_date or data_interval_start.strftime('%Y-%m-%d') }}",
    "SHOP_ANALYTICS_END_DATE": "{{ params.end_date or data_interval_end.strftime('%Y-%m-%d') }}",
}
FULL_REFRESH = "{{ params.full_refresh }}"


def run_params(source_names: Iterable[str]) -> dict[str, Param]:
    names = sorted(source_names)
    optional_day = {"type": ["null", "string"], "format": "date"}
    return {
        "sources": Param(
            names,
            type="array",
            items={"type": "string", "enum": names},
            minItems=1,
            uniqueItems=True,
            title="Sources",
            description="Sources to sync and rebuild; models that also read an unselected source are skipped.",
        ),
        "start_date": Param(
            None,
            **optional_day,
            title="First day (YYYY-MM-DD)",
            description="Rebuild from this day; empty: the run's data interval.",
        ),
        "end_date": Param(
            None,
            **optional_day,
            title="End day, exclusive (YYYY-MM-DD)",
            description="Rebuild up to (not including) this day; give it with the first day.",
        ),
        "full_refresh": Param(
            False,
            type="boolean",
            title="Full refresh",
            description="Rebuild incremental models from scratch (dbt --full-refresh).",
        ),
    }
