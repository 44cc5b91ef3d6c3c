"""The reporting tables as Airflow Assets: other DAGs and consumers schedule on fresh data.

One Asset per table Looker Studio reads, emitted by the task that publishes them
(`publish_reporting_tables`, after every dbt test of the run passed). Named after the
table, not the warehouse, so a consumer's `schedule=[Asset.ref(name=...)]` is the same on
DuckDB and BigQuery:

    from airflow.sdk import Asset
    schedule=[Asset.ref(name="shop_analytics.reporting.fct_sales_daily")]
"""

from __future__ import annotations

from airflow.sdk import Asset

from shop_analytics.publish import REPORTING_SCHEMA, REPORTING_TABLES

ASSET_GROUP = "shop_analytics_reporting"


def reporting_asset(table: str) -> Asset:
    return Asset(name=f"shop_analytics.{REPORTING_SCHEMA}.{table}", group=ASSET_GROUP)


def reporting_assets() -> list[Asset]:
    return [reporting_asset(table) for table in REPORTING_TABLES]
