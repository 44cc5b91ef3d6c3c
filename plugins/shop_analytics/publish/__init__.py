"""Write-audit-publish: the reporting tables change only after the whole build passed.

dbt builds every model, marts included, and tests it (the audit); Looker Studio reads the
`reporting` schema, which the dbt operation `publish_reporting_tables`
(include/dbt/macros/publish) replaces from marts in one step. In the DAG:

    transform (every model and its tests) >> unit_tests >> publish_reporting_tables

both with trigger rule all_success, so a failing data test or unit test fails the run
(Cosmos names the test) and leaves yesterday's reporting tables as they were.
"""

from __future__ import annotations

import json
from typing import Any

from airflow.sdk import Asset, TaskGroup
from cosmos.operators.local import DbtRunOperationLocalOperator, DbtTestLocalOperator

from shop_analytics.config import Settings
from shop_analytics.publish.digest import MorningDigestNotifier, digest_recipients

PUBLISH_MACRO = "publish_reporting_tables"
REPORTING_SCHEMA = "reporting"
# The tables Looker Studio reads: every mart (include/dbt/models/marts), each with an enforced
# contract. tests/quality/test_publish.py fails when a mart is missing here.
REPORTING_TABLES = (
    "fct_orders",
    "fct_order_items",
    "fct_sales_daily",
    "dim_customers",
    "dim_products",
    "fct_customer_cohorts",
    "fct_web_traffic_daily",
    "fct_web_traffic_by_device_daily",
    "fct_web_traffic_by_location_daily",
    "fct_channel_performance_daily",
    "fct_instagram_posts",
    "fct_instagram_post_insights_daily",
    "fct_instagram_account_daily",
    "mart_daily_business_overview",
    "fct_profit_waterfall_daily",
    "fct_instagram_funnel_daily",
)
# dbt unit tests (`unit_tests:` in the models' yml) are not rendered by Cosmos: they run as one
# task once the build has created their models' parents (dbt reads the parents' columns).
UNIT_TEST_SELECTOR = "test_type:unit"
# The reporting tables as Airflow Assets, emitted by the publish task: other DAGs and consumers
# schedule on fresh data. Named after the table, not the warehouse, so a consumer's
# `schedule=[Asset.ref(name="shop_analytics.reporting.fct_sales_daily")]` is the same on
# DuckDB and BigQuery.
ASSET_GROUP = "shop_analytics_reporting"


def reporting_asset(table: str) -> Asset:
    return Asset(name=f"shop_analytics.{REPORTING_SCHEMA}.{table}", group=ASSET_GROUP)


def reporting_assets() -> list[Asset]:
    return [reporting_asset(table) for table in REPORTING_TABLES]


def publish_args() -> dict[str, Any]:
    return {"tables": list(REPORTING_TABLES), "schema": REPORTING_SCHEMA}


def publish_command() -> list[str]:
    """The dbt CLI arguments of the publish step (tests and local runs use the same)."""
    return ["run-operation", PUBLISH_MACRO, "--args", json.dumps(publish_args())]


def _dbt_invocation(transform: TaskGroup) -> dict[str, Any]:
    """Project, profile and environment of the transform group's dbt tasks, so the audit and
    publish steps run against exactly the warehouse the build wrote, and their Cosmos cache
    folder, so they reuse the build's parse of the project instead of parsing it again."""
    for task in transform.iter_tasks():
        if getattr(task, "profile_config", None) is not None and getattr(task, "project_dir", None):
            return {
                "project_dir": task.project_dir,
                "profile_config": task.profile_config,
                "env": task.env,
                "cache_dir": task.cache_dir,
                "install_deps": False,
            }
    raise LookupError(
        f"task group {transform.group_id!r} has no Cosmos dbt task to take the dbt project and profile from: "
        "pass the transform group rendered by shop_analytics.transform.dbt_task_group"
    )


def audit_and_publish_tasks(transform: TaskGroup, settings: Settings) -> tuple[Any, Any]:
    """The unit-test task and the publish task, to wire `transform >> unit_tests >> publish`."""
    invocation = _dbt_invocation(transform)
    pool = {"pool": settings.dbt_pool} if settings.dbt_pool else {}
    unit_tests = DbtTestLocalOperator(
        task_id="dbt_unit_tests",
        select=[UNIT_TEST_SELECTOR],
        trigger_rule="all_success",
        doc_md="dbt unit tests (`dbt test --select test_type:unit`): the logic that is easy to get wrong.",
        **invocation,
        **pool,
    )
    # The morning digest mails the Overview's tiles once the day is published (only when
    # SHOP_ANALYTICS_DIGEST_TO names recipients); a failed email never fails the publish.
    recipients = digest_recipients()
    digest = {"on_success_callback": [MorningDigestNotifier(to=recipients)]} if recipients else {}
    publish = DbtRunOperationLocalOperator(
        task_id=PUBLISH_MACRO,
        macro_name=PUBLISH_MACRO,
        args=publish_args(),
        trigger_rule="all_success",
        outlets=reporting_assets(),
        doc_md=f"Replaces the `{REPORTING_SCHEMA}` tables Looker Studio reads from marts, after every test passed.",
        **invocation,
        **pool,
        **digest,
    )
    unit_tests >> publish
    return unit_tests, publish
