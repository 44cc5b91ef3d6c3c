"""The `reporting` tables as Looker Studio reads them: descriptions carried by the publish step,
DATE-typed days, a currency code beside every money column, and the dashboard's own tables."""

from __future__ import annotations

import json

from shop_analytics.config import REPO_ROOT
from shop_analytics.publish import REPORTING_TABLES

MANIFEST = REPO_ROOT / "include" / "dbt" / "target" / "manifest.json"
# Decimal columns that are not amounts of money (ratios, durations, ratings).
NOT_MONEY_SUFFIXES = ("_rate", "_seconds", "_rating")


def model_nodes() -> dict[str, dict]:
    manifest = json.loads(MANIFEST.read_text())
    return {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}


def reporting_columns(project) -> dict[str, dict[str, tuple[str, str]]]:
    """table -> column -> (type, comment) of the published tables."""
    columns: dict[str, dict[str, tuple[str, str]]] = {}
    for table, column, data_type, comment in project.query(
        "select table_name, column_name, data_type, coalesce(comment, '') from duckdb_columns() "
        "where schema_name = 'reporting'"
    ):
        columns.setdefault(table, {})[column] = (data_type, comment)
    return columns


def test_publish_carries_every_dbt_description_to_reporting(published_reporting):
    nodes, published = model_nodes(), reporting_columns(published_reporting)
    assert set(published) == set(REPORTING_TABLES)
    table_comments = dict(
        published_reporting.query("select table_name, comment from duckdb_tables() where schema_name = 'reporting'")
    )
    for table, columns in published.items():
        node = nodes[table]
        assert table_comments[table] == node["description"], table
        for column, (_, comment) in columns.items():
            described = node["columns"].get(column, {}).get("description", "")
            assert comment == described, f"reporting.{table}.{column}: {comment!r} != dbt's {described!r}"


def test_every_reporting_column_has_a_description_in_the_warehouse(published_reporting):
    """Looker Studio shows the warehouse's column descriptions: none may be empty."""
    published = reporting_columns(published_reporting)
    undescribed = {
        table: [column for column, (_, comment) in columns.items() if not comment]
        for table, columns in published.items()
    }
    assert {table: columns for table, columns in undescribed.items() if columns} == {}


def test_days_are_dates_and_every_money_column_has_its_currency(published_reporting):
    for table, columns in reporting_columns(published_reporting).items():
        for column, (data_type, _) in columns.items():
            if column == "date_day" or column.endswith(("_date", "_month")):
                assert data_type == "DATE", f"reporting.{table}.{column} is {data_type}, Looker needs a DATE"
        money = [
            column
            for column, (data_type, _) in columns.items()
            if data_type.startswith("DECIMAL") and not column.endswith(NOT_MONEY_SUFFIXES)
        ]
        if money:
            assert "currency_code" in columns, f"reporting.{table} has money ({money}) but no currency_code"


def test_profit_waterfall_walks_from_gross_sales_to_the_sales_marts_net_profit(published_reporting):
    """Per shop and currency over the whole history: the steps add up to net profit, which is
    fct_sales_daily's, and gross sales is fct_sales_daily's."""
    walks = published_reporting.query(
        """
        with steps as (
            select shop_id, currency_code,
                sum(case when step_name = 'gross_sales' then amount end) as gross_sales,
                sum(case when step_kind = 'change' then amount end) as changes,
                sum(case when step_name = 'net_profit' then amount end) as net_profit
            from reporting.fct_profit_waterfall_daily
            group by all
        ),
        sales as (
            select shop_id, currency_code, sum(gross_sales) as gross_sales, sum(net_profit) as net_profit
            from reporting.fct_sales_daily
            group by all
        )
        select steps.*, sales.gross_sales, sales.net_profit
        from steps join sales using (shop_id, currency_code)
        """
    )
    assert len(walks) >= 2
    for shop, currency, gross_sales, changes, net_profit, sales_gross, sales_net_profit in walks:
        assert gross_sales == sales_gross, (shop, currency)
        assert net_profit == sales_net_profit, (shop, currency)
        assert gross_sales + changes == net_profit, (shop, currency)
        assert changes != 0
