"""The morning digest: after the publish step, the Overview's KPI tiles by email.

For each shop, the tiles of the dashboard spec's Overview scorecards (include/dashboards),
for the run's day against the day before and the same weekday a week earlier, read from the
`reporting` tables the run just published, with the biggest movers (largest change on the
same weekday last week) first. Sent through the SMTP provider's notifier and connection
(`smtp_default`; Composer: a secret `airflow-connections-smtp_default`).

Attached by audit_and_publish_tasks as the publish task's success callback when
SHOP_ANALYTICS_DIGEST_TO (comma-separated addresses) is set.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from airflow.providers.smtp.notifications.smtp import SmtpNotifier

from shop_analytics.config import Settings
from shop_analytics.dashboard.queries import Filters, Period, Query, Relation, scorecard_values
from shop_analytics.dashboard.spec import DASHBOARD_SPEC_PATH, Chart, Dashboard, Metric, load_dashboard

DIGEST_RECIPIENTS_VARIABLE = "SHOP_ANALYTICS_DIGEST_TO"
OVERVIEW_PAGE = "Overview"
BIGGEST_MOVERS = 3


@dataclass(frozen=True)
class Tile:
    metric: Metric
    day: Any
    day_before: Any
    same_weekday_last_week: Any

    def change(self, reference: Any) -> Decimal | None:
        if self.day is None or reference is None or Decimal(reference) == 0:
            return None
        return (Decimal(self.day) - Decimal(reference)) / abs(Decimal(reference)) * 100


@dataclass(frozen=True)
class ShopDigest:
    shop_id: str
    currency_code: str
    tiles: tuple[Tile, ...]

    def biggest_movers(self) -> list[Tile]:
        """The tiles that moved most against the same weekday last week (weekly rhythm taken out)."""
        moved = [tile for tile in self.tiles if tile.change(tile.same_weekday_last_week) not in (None, 0)]
        return sorted(moved, key=lambda tile: abs(tile.change(tile.same_weekday_last_week)), reverse=True)[
            :BIGGEST_MOVERS
        ]


def overview_scorecards(dashboard: Dashboard) -> Chart:
    for page in dashboard.pages:
        if page.name == OVERVIEW_PAGE:
            for chart in page.charts:
                if chart.kind == "scorecards":
                    return chart
    raise LookupError(f"the dashboard spec has no scorecards on its {OVERVIEW_PAGE!r} page")


def shop_digests(dashboard: Dashboard, query: Query, relation: Relation, day: dt.date) -> list[ShopDigest]:
    chart = overview_scorecards(dashboard)
    shops = query(
        f"select distinct shop_id, currency_code from {relation(chart.table)} "
        f"where date_day = date '{day}' order by shop_id"
    )
    if not shops:
        raise LookupError(f"{relation(chart.table)} has no row for {day}: was the day published?")
    digests = []
    for shop_id, currency_code in shops:
        filters = Filters(shop_id, currency_code, Period(day, day))

        def values(on: dt.date, filters: Filters = filters) -> dict[str, Any]:
            return scorecard_values(dashboard, chart, query, relation, filters, Period(on, on))

        today, before, last_week = values(day), values(day - dt.timedelta(days=1)), values(day - dt.timedelta(days=7))
        tiles = tuple(
            Tile(metric, today[metric.key], before[metric.key], last_week[metric.key]) for metric in chart.metrics
        )
        digests.append(ShopDigest(shop_id, currency_code, tiles))
    return digests


def format_number(value: Any, metric: Metric, currency_code: str) -> str:
    if value is None:
        return "n/a"
    if metric.format == "money":
        return f"{Decimal(value):,.2f} {currency_code}"
    if metric.format == "percent":
        return f"{float(value) * 100:.2f} %"
    return f"{Decimal(value):,.0f}"


def _change(change: Decimal | None) -> str:
    return "n/a" if change is None else f"{change:+.1f} %"


def digest_html(digests: Sequence[ShopDigest], day: dt.date) -> str:
    previous, last_week = day - dt.timedelta(days=1), day - dt.timedelta(days=7)
    sections = []
    for digest in digests:
        movers = "".join(
            f'<li data-metric="{tile.metric.key}">{html.escape(tile.metric.label)}: '
            f"{_change(tile.change(tile.same_weekday_last_week))} on {last_week:%A} last week</li>"
            for tile in digest.biggest_movers()
        )
        rows = "".join(
            f'<tr data-metric="{tile.metric.key}"><td>{html.escape(tile.metric.label)}</td>'
            f'<td data-day="{day}">{format_number(tile.day, tile.metric, digest.currency_code)}</td>'
            f'<td data-day="{previous}">{format_number(tile.day_before, tile.metric, digest.currency_code)}</td>'
            f"<td>{_change(tile.change(tile.day_before))}</td>"
            f'<td data-day="{last_week}">'
            f"{format_number(tile.same_weekday_last_week, tile.metric, digest.currency_code)}</td>"
            f"<td>{_change(tile.change(tile.same_weekday_last_week))}</td></tr>"
            for tile in digest.tiles
        )
        sections.append(
            f'<section data-shop="{digest.shop_id}"><h2>Shop {digest.shop_id} ({digest.currency_code})</h2>'
            f"<p>Biggest movers:</p><ul>{movers or '<li>nothing moved</li>'}</ul>"
            f"<table><tr><th>KPI</th><th>{day}</th><th>{previous}</th><th>change</th>"
            f"<th>{last_week} (same weekday)</th><th>change</th></tr>{rows}</table></section>"
        )
    return f"<h1>Etsy shop overview for {day:%A} {day}</h1>{''.join(sections)}"


class MorningDigestNotifier(SmtpNotifier):
    """SmtpNotifier whose subject and body are the Overview tiles of the run's day, read when it fires."""

    def __init__(self, to: str | list[str], settings: Settings | None = None, **kwargs: Any) -> None:
        super().__init__(to=to, subject="Etsy shop overview", html_content="", **kwargs)
        self.settings = settings or Settings.from_env()

    def notify(self, context: Any) -> None:
        day = context["data_interval_start"].date()
        dashboard = load_dashboard(DASHBOARD_SPEC_PATH)
        query, relation, close = warehouse_reader(self.settings)
        try:
            digests = shop_digests(dashboard, query, relation, day)
        finally:
            close()
        self.subject = f"Etsy shop overview for {day:%a} {day}"
        self.html_content = digest_html(digests, day)
        super().notify(context)


def warehouse_reader(settings: Settings) -> tuple[Query, Relation, Any]:
    """A query function over the published `reporting` tables of the configured warehouse."""
    from shop_analytics.publish import REPORTING_SCHEMA

    if settings.dbt_target == "local":
        import duckdb

        connection = duckdb.connect(str(settings.duckdb_path), read_only=True)
        return (
            lambda sql: connection.execute(sql).fetchall(),
            lambda table: f"{REPORTING_SCHEMA}.{table}",
            connection.close,
        )
    from airflow.providers.google.cloud.hooks.bigquery import BigQueryHook

    project = os.environ.get("SHOP_ANALYTICS_GCP_PROJECT")
    if not project:
        raise ValueError("SHOP_ANALYTICS_GCP_PROJECT is not set: the digest cannot find the reporting dataset")
    dataset = os.environ.get("SHOP_ANALYTICS_SCHEMA_PREFIX", "") + REPORTING_SCHEMA
    hook = BigQueryHook(gcp_conn_id=settings.gcp_conn_id, use_legacy_sql=False)
    return (
        lambda sql: [tuple(row) for row in hook.get_records(sql)],
        lambda table: f"`{project}.{dataset}.{table}`",
        lambda: None,
    )


def digest_recipients() -> list[str]:
    return [address.strip() for address in os.environ.get(DIGEST_RECIPIENTS_VARIABLE, "").split(",") if address.strip()]
