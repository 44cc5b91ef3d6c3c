"""The SQL of the dashboard's charts, the same on DuckDB and BigQuery.

Every chart reads one reporting table, filtered by the report controls (date range, shop,
currency) where the table has those fields. Values are inlined after checking them (dates,
shop ids, currency codes), so one statement runs through any DB-API cursor or BigQuery hook.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shop_analytics.dashboard.spec import Chart, Dashboard

SHOP_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")

# Runs a statement and returns its rows as tuples.
Query = Callable[[str], Sequence[tuple]]
# reporting table -> the relation to read ("reporting.fct_sales_daily", "`proj.reporting.fct_sales_daily`").
Relation = Callable[[str], str]


@dataclass(frozen=True)
class Period:
    """A closed range of days, and the same number of days just before it (the comparison)."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    @classmethod
    def ending(cls, end: dt.date, days: int) -> Period:
        return cls(end - dt.timedelta(days=days - 1), end)


@dataclass(frozen=True)
class Filters:
    """The report controls: a shop, its currency, a period."""

    shop_id: str
    currency_code: str
    period: Period

    def __post_init__(self) -> None:
        if not SHOP_ID_PATTERN.match(self.shop_id):
            raise ValueError(f"shop id {self.shop_id!r} is not an Etsy shop id")
        if not CURRENCY_PATTERN.match(self.currency_code):
            raise ValueError(f"currency {self.currency_code!r} is not an ISO 4217 code")


def where_clause(dashboard: Dashboard, table: str, filters: Filters, period: Period | None = None) -> str:
    controls = dashboard.tables[table]
    period = period or filters.period
    conditions = []
    if controls.date:
        conditions.append(f"{controls.date} between date '{period.start}' and date '{period.end}'")
    if controls.shop:
        conditions.append(f"{controls.shop} = '{filters.shop_id}'")
    if controls.currency:
        conditions.append(f"{controls.currency} = '{filters.currency_code}'")
    return " and ".join(conditions) or "true"


def scorecard_sql(dashboard: Dashboard, chart: Chart, relation: Relation, filters: Filters, period: Period) -> str:
    aggregates = ", ".join(f"{metric.sql()} as {metric.column}" for metric in chart.metrics)
    where = where_clause(dashboard, chart.table, filters, period)
    return f"select {aggregates} from {relation(chart.table)} where {where}"


def scorecard_values(
    dashboard: Dashboard, chart: Chart, query: Query, relation: Relation, filters: Filters, period: Period
) -> dict[str, Any]:
    """metric key -> value of the period (None where a ratio has no denominator)."""
    (row,) = query(scorecard_sql(dashboard, chart, relation, filters, period))
    return {metric.key: value for metric, value in zip(chart.metrics, row, strict=True)}


def grouped_sql(dashboard: Dashboard, chart: Chart, relation: Relation, filters: Filters) -> str:
    """The rows of a chart with a dimension: one per dimension value, in the chart's order."""
    dimensions = list(chart.dimensions)
    group_columns = dimensions + ([chart.order_by] if chart.order_by and chart.order_by not in dimensions else [])
    aggregates = ", ".join(f"{metric.sql()} as {metric.column}" for metric in chart.metrics)
    if chart.order_by:
        order = chart.order_by
    elif chart.kind == "time_series" or len(dimensions) > 1:
        order = ", ".join(dimensions)
    else:
        order = f"{chart.metrics[0].column} desc, {', '.join(dimensions)}"
    limit = f" limit {int(chart.limit)}" if chart.limit else ""
    return (
        f"select {', '.join(group_columns)}, {aggregates} from {relation(chart.table)} "
        f"where {where_clause(dashboard, chart.table, filters)} "
        f"group by {', '.join(group_columns)} order by {order}{limit}"
    )
