"""`make dashboard`: the dashboard spec rendered as static HTML from the local DuckDB `reporting`
schema, what the owner sees before a GCP project exists (build/dashboard, linked from `make ui`).

A page per spec page; on each, a section per shop (its own currency, as the report's shop and
currency controls would show it) with the charts of the spec: KPI tiles with the change on
the previous period, time series, bars, the profit waterfall and tables, drawn by plotly.
plotly.js is written beside the pages from the pinned plotly package: no CDN, the pages work
offline. The period is the last `PREVIEW_DAYS` days of data, like the report's default range.
"""

from __future__ import annotations

import argparse
import html
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from shop_analytics.config import REPO_ROOT, Settings
from shop_analytics.dashboard.queries import Filters, Period, grouped_sql, scorecard_values
from shop_analytics.dashboard.spec import DASHBOARD_SPEC_PATH, Chart, Dashboard, Metric, Page, load_dashboard

DASHBOARD_DIR = REPO_ROOT / "build" / "dashboard"
REPORTING_SCHEMA = "reporting"
PREVIEW_DAYS = 28  # the spec's default range, last_28_days
PLOTLY_JS = "plotly.min.js"
STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 2rem 2rem; color: #222; }
nav a { margin-right: 1rem; } nav a.current { font-weight: bold; }
.kpi-tiles { display: flex; flex-wrap: wrap; gap: .75rem; margin: .5rem 0 1rem; }
.kpi { border: 1px solid #ddd; border-radius: 6px; padding: .6rem .8rem; min-width: 11rem; }
.kpi-label { font-size: .85rem; color: #555; } .kpi-value { font-size: 1.4rem; display: block; }
.kpi-delta.good { color: #137333; } .kpi-delta.bad { color: #b3261e; }
.definition { font-size: .75rem; color: #666; max-width: 22rem; margin: .3rem 0 0; }
.chart { margin: 1rem 0 2rem; } .chart h3 { margin-bottom: .2rem; } .no-data { color: #666; }
"""


def format_value(value: Any, metric: Metric, currency_code: str) -> str:
    """How a tile shows a value (tests read it back): money with 2 decimals and the currency code."""
    if value is None:
        return "n/a"
    if metric.format == "money":
        return f"{Decimal(value):,.2f} {currency_code}"
    if metric.format == "percent":
        return f"{float(value) * 100:.2f} %"
    return f"{Decimal(value):,.0f}"


def format_delta(current: Any, previous: Any, lower_is_better: bool = False) -> tuple[str, str]:
    """The change on the previous period, in percent of it, and whether it is good news."""
    if current is None or previous is None or Decimal(previous) == 0:
        return "no previous value", "none"
    change = (Decimal(current) - Decimal(previous)) / abs(Decimal(previous)) * 100
    if change == 0:
        return "+0.0 % vs previous period", "flat"
    good = (change < 0) if lower_is_better else (change > 0)
    return f"{change:+.1f} % vs previous period", "good" if good else "bad"


class Preview:
    def __init__(self, dashboard: Dashboard, connection: duckdb.DuckDBPyConnection) -> None:
        self.dashboard = dashboard
        self.connection = connection
        (latest,) = self.query(f"select max(date_day) from {self.relation('mart_daily_business_overview')}")[0]
        if latest is None:
            raise RuntimeError("reporting.mart_daily_business_overview is empty: run `make run` first")
        self.period = Period.ending(latest, PREVIEW_DAYS)
        self.shops = self.query(
            f"select distinct shop_id, currency_code from {self.relation('mart_daily_business_overview')} "
            "order by shop_id"
        )

    def query(self, sql: str) -> Sequence[tuple]:
        return self.connection.execute(sql).fetchall()

    @staticmethod
    def relation(table: str) -> str:
        return f"{REPORTING_SCHEMA}.{table}"

    def render(self, out_dir: Path) -> list[Path]:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / PLOTLY_JS).write_text(get_plotlyjs())
        written = [self._write(out_dir / "index.html", "Overview of pages", self._index())]
        for page in self.dashboard.pages:
            written.append(self._write(out_dir / f"{page.slug}.html", page.name, self._page(page), page))
        return written

    def _write(self, path: Path, title: str, body: str, current: Page | None = None) -> Path:
        links = " ".join(
            f'<a href="{page.slug}.html"{" class=current" if page is current else ""}>{html.escape(page.name)}</a>'
            for page in self.dashboard.pages
        )
        previous = self.period.previous()
        path.write_text(
            "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
            f"<title>{html.escape(self.dashboard.name)}: {html.escape(title)}</title>"
            f'<script src="{PLOTLY_JS}"></script><style>{STYLE}</style></head><body>'
            f'<nav><a href="index.html">{html.escape(self.dashboard.name)}</a> {links}</nav>'
            f"<h1>{html.escape(title)}</h1>"
            f'<p class=period data-start="{self.period.start}" data-end="{self.period.end}">'
            f"Period {self.period.start} to {self.period.end} ({self.period.days} days), compared with "
            f"{previous.start} to {previous.end}. Local preview of the Looker Studio report, from the "
            f"DuckDB <code>{REPORTING_SCHEMA}</code> schema.</p>"
            f"{body}</body></html>\n"
        )
        return path

    def _index(self) -> str:
        items = "".join(
            f'<li><a href="{page.slug}.html">{html.escape(page.name)}</a>: '
            f"{', '.join(html.escape(chart.id) for chart in page.charts)}</li>"
            for page in self.dashboard.pages
        )
        return f"<ul>{items}</ul>"

    def _page(self, page: Page) -> str:
        sections = []
        for shop_id, currency_code in self.shops:
            filters = Filters(shop_id, currency_code, self.period)
            charts = "".join(self._chart(chart, filters) for chart in page.charts)
            sections.append(
                f'<section class=shop data-shop="{html.escape(shop_id)}" data-currency="{currency_code}">'
                f"<h2>Shop {html.escape(shop_id)} ({currency_code})</h2>{charts}</section>"
            )
        return "".join(sections)

    def _chart(self, chart: Chart, filters: Filters) -> str:
        title = ", ".join(metric.label for metric in chart.metrics)
        if chart.dimensions:
            title += f" by {', '.join(chart.dimensions)}"
        body = self._scorecards(chart, filters) if chart.kind == "scorecards" else self._figure(chart, filters)
        return (
            f'<div class=chart data-chart="{chart.id}" data-kind="{chart.kind}" data-table="{chart.table}">'
            f"<h3>{html.escape(title)}</h3>{body}</div>"
        )

    def _scorecards(self, chart: Chart, filters: Filters) -> str:
        current = scorecard_values(self.dashboard, chart, self.query, self.relation, filters, filters.period)
        previous = scorecard_values(
            self.dashboard, chart, self.query, self.relation, filters, filters.period.previous()
        )
        tiles = []
        for metric in chart.metrics:
            shown = format_value(current[metric.key], metric, filters.currency_code)
            delta, direction = format_delta(current[metric.key], previous[metric.key], metric.lower_is_better)
            tiles.append(
                f'<div class=kpi data-metric="{metric.key}" data-value="{_raw(current[metric.key])}" '
                f'data-previous-value="{_raw(previous[metric.key])}">'
                f"<span class=kpi-label>{html.escape(metric.label)}</span>"
                f"<span class=kpi-value>{html.escape(shown)}</span>"
                f'<span class="kpi-delta {direction}">{html.escape(delta)}</span>'
                f"<p class=definition>{html.escape(metric.definition)}</p></div>"
            )
        return f"<div class=kpi-tiles>{''.join(tiles)}</div>"

    def _figure(self, chart: Chart, filters: Filters) -> str:
        rows = self.query(grouped_sql(self.dashboard, chart, self.relation, filters))
        definitions = "".join(
            f"<p class=definition><b>{html.escape(metric.label)}</b>: {html.escape(metric.definition)}</p>"
            for metric in chart.metrics
        )
        if not rows:
            return f"<p class=no-data>No data for this shop in the period.</p>{definitions}"
        figure = _plotly_figure(chart, rows)
        # A table is as tall as its rows; a plot has room for its axes.
        height = 60 + 26 * len(rows) if chart.kind == "table" else 360
        figure.update_layout(height=height, margin={"l": 50, "r": 20, "t": 20, "b": 40})
        div = figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=f"{chart.id}-{filters.shop_id}",
            config={"displayModeBar": False, "responsive": True},
        )
        return f"{div}{definitions}"


def _plotly_figure(chart: Chart, rows: Sequence[tuple]) -> go.Figure:
    width = len(chart.dimensions) + (1 if chart.order_by and chart.order_by not in chart.dimensions else 0)
    labels = [" / ".join(str(value) for value in row[: len(chart.dimensions)]) for row in rows]
    columns = list(zip(*(row[width:] for row in rows), strict=True))
    values = [[None if v is None else float(v) for v in column] for column in columns]
    if chart.kind == "time_series":
        return go.Figure(
            [
                go.Scatter(x=labels, y=series, mode="lines", name=metric.label)
                for metric, series in zip(chart.metrics, values, strict=True)
            ]
        )
    if chart.kind == "bar":
        return go.Figure(
            [go.Bar(x=labels, y=series, name=m.label) for m, series in zip(chart.metrics, values, strict=True)]
        )
    if chart.kind == "waterfall":
        measures = ["absolute"] + ["relative"] * (len(labels) - 2) + ["total"]
        return go.Figure([go.Waterfall(x=labels, y=values[0], measure=measures, name=chart.metrics[0].label)])
    header = [" / ".join(chart.dimensions)] + [metric.label for metric in chart.metrics]
    cells = [labels] + [[_table_cell(v, m) for v in column] for m, column in zip(chart.metrics, columns, strict=True)]
    return go.Figure([go.Table(header={"values": header}, cells={"values": cells})])


def _table_cell(value: Any, metric: Metric) -> str:
    if value is None:
        return ""
    if metric.format == "percent":
        return f"{float(value) * 100:.1f} %"
    return f"{Decimal(value):,.2f}" if metric.format == "money" else f"{Decimal(value):,.0f}"


def _raw(value: Any) -> str:
    return "" if value is None else str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make dashboard", description=__doc__)
    parser.add_argument("--duckdb-path", type=Path, default=Settings.from_env().duckdb_path)
    parser.add_argument("--out", type=Path, default=DASHBOARD_DIR)
    parser.add_argument("--manifest", type=Path, default=Settings.from_env().dbt_manifest_path)
    args = parser.parse_args(argv)
    if not args.duckdb_path.exists():
        print(f"make dashboard: {args.duckdb_path} does not exist: run `make run` first", file=sys.stderr)
        return 2
    dashboard = load_dashboard(DASHBOARD_SPEC_PATH, args.manifest)
    undescribed = sorted(key for key, metric in dashboard.metrics.items() if not metric.definition)
    if undescribed:
        print(f"make dashboard: metrics without a dbt column description: {', '.join(undescribed)}", file=sys.stderr)
    with duckdb.connect(str(args.duckdb_path), read_only=True) as connection:
        pages = Preview(dashboard, connection).render(args.out)
    print(f"dashboard preview: {len(pages) - 1} pages in {args.out} (open {args.out / 'index.html'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
