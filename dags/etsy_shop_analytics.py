"""
### Etsy shop analytics — daily

Airbyte syncs -> dbt (Cosmos) -> reporting tables.

1. **extract**: one Airbyte sync per source (Etsy, GA4, Instagram), triggered
   asynchronously and awaited by a sensor. A failed sync fails its own task, naming the
   source, the Airbyte job id and its status. `check_run_params` first picks the sources a
   manual run selected.
2. **transform**: the dbt project (`include/dbt`). `dbt_producer_watcher` runs one
   `dbt build` once every sync has ended; each source table (with its freshness check),
   seed, and model (with its tests) is its own task showing that node's result, grouped
   like the project: `sources/<source>`, `seeds`, `<layer>/<source or domain>` (e.g.
   `staging/etsy`, `marts/sales`). A source's tables also need that source's sync to have
   succeeded: a failed source's models are left out of the build and end
   `upstream_failed`; the other sources' models build.
3. **write-audit-publish**: dbt unit tests, then `publish_reporting_tables` replaces the
   reporting tables Looker Studio reads, only when every test of the run passed; each
   reporting table is an Asset it updates.

Runs daily for the previous day (data interval = that day, UTC); trigger it manually or
backfill a date range from the UI. Owner: the shop's data engineer (see README).

Thin on purpose: the sources come from plugins/shop_analytics/config/sources.yaml and the
logic lives in the shop_analytics package (plugins/), importable on Composer and locally.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import BranchPythonOperator
from airflow.sdk import DAG, CronDataIntervalTimetable

from shop_analytics.config import Settings, load_sources
from shop_analytics.config.run_params import run_params
from shop_analytics.config.settings import TASK_RETRIES
from shop_analytics.extract import extract_task_group, selected_sync_tasks
from shop_analytics.publish import audit_and_publish_tasks
from shop_analytics.transform import dbt_task_group, source_tasks

settings = Settings.from_env()
sources = load_sources()

with DAG(
    dag_id="etsy_shop_analytics",
    description="Etsy + GA4 + Instagram -> dbt marts for Looker Studio",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=6),
    default_args={
        "owner": "shop-data",
        **TASK_RETRIES,
        "retry_exponential_backoff": True,
    },
    tags=["etsy", "ga4", "instagram", "airbyte", "dbt"],
    doc_md=__doc__,
    params=run_params(sources),
) as dag:
    extracts = {
        source.name: extract_task_group(
            source,
            airbyte_conn_id=settings.airbyte_conn_id,
            poll_interval=timedelta(seconds=settings.airbyte_poll_seconds),
        )
        for source in sources.values()
    }
    # A manual run may sync a subset of sources: the others' extract is skipped, and so is
    # every model reading them.
    check_run_params = BranchPythonOperator(
        task_id="check_run_params",
        python_callable=selected_sync_tasks,
        op_kwargs={"trigger_task_ids": {name: f"{group.group_id}.trigger_sync" for name, group in extracts.items()}},
    )
    # dbt starts once every sync has ended (succeeded or not): a source's tables also wait
    # for their own sync's success, so a failed source stops only what is built on it.
    syncs_done = EmptyOperator(task_id="all_syncs_done", trigger_rule="all_done")
    transform = dbt_task_group(
        settings, sync_task_ids={name: f"{group.group_id}.wait_for_sync" for name, group in extracts.items()}
    )
    # Write-audit-publish (shop_analytics.publish): unit tests, then the reporting tables,
    # replaced only when every dbt test of the run passed (trigger rule all_success).
    unit_tests, publish = audit_and_publish_tasks(transform, settings)

    # --- the pipeline: every edge between groups ---
    for name, extract in extracts.items():
        check_run_params >> extract >> syncs_done
        extract >> source_tasks(transform, name)
    syncs_done >> transform >> unit_tests >> publish
