"""The local dashboard preview (`make dashboard`) in Debian's Chromium: every page of the spec
opens offline with no console error, every chart is drawn, and each KPI tile shows exactly
what the reporting tables hold for the period shown, recomputed here with DuckDB."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from shop_analytics.config import REPO_ROOT
from shop_analytics.dashboard import DASHBOARD_SPEC_PATH, load_dashboard
from shop_analytics.dashboard.preview import main as render_preview
from tests.dashboard.expected import SPEC, as_displayed, recomputed_tile, same_value

MANIFEST = REPO_ROOT / "include" / "dbt" / "target" / "manifest.json"
PAGES = [page["name"] for page in SPEC["pages"]]


@pytest.fixture(scope="module")
def preview_dir(published_reporting, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dashboard")
    exit_code = render_preview(
        ["--duckdb-path", str(published_reporting.duckdb_path), "--out", str(out), "--manifest", str(MANIFEST)]
    )
    assert exit_code == 0
    return out


def test_preview_has_a_page_per_spec_page(preview_dir):
    dashboard = load_dashboard(DASHBOARD_SPEC_PATH, MANIFEST)
    assert [page.name for page in dashboard.pages] == PAGES
    assert sorted(path.name for path in preview_dir.glob("*.html")) == sorted(
        [f"{page.slug}.html" for page in dashboard.pages] + ["index.html"]
    )


@pytest.mark.parametrize("page_name", PAGES)
def test_page_draws_every_chart_and_shows_the_reporting_values(
    page_name, preview_dir, published_reporting, page, screenshot_dir
):
    dashboard = load_dashboard(DASHBOARD_SPEC_PATH, MANIFEST)
    spec_page = next(spec_page for spec_page in dashboard.pages if spec_page.name == page_name)
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    remote_requests: list[str] = []
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("file:")
            else (remote_requests.append(route.request.url), route.abort())
        ),
    )

    page.goto((preview_dir / f"{spec_page.slug}.html").as_uri())
    page.wait_for_load_state("load")

    shops = page.locator("section.shop")
    assert shops.count() == 2, "the default world has two shops"
    for shop_index in range(shops.count()):
        shop = shops.nth(shop_index)
        charts = shop.locator("div.chart")
        assert [charts.nth(i).get_attribute("data-chart") for i in range(charts.count())] == [
            chart.id for chart in spec_page.charts
        ]
        for chart in spec_page.charts:
            block = shop.locator(f'div.chart[data-chart="{chart.id}"]')
            if chart.kind == "scorecards":
                assert block.locator("div.kpi").count() == len(chart.metrics)
                continue
            plot = block.locator("div.js-plotly-plot")
            assert plot.count() == 1, f"{chart.id} was not drawn: {block.inner_text()[:300]}"
            points = plot.evaluate(
                "gd => gd.data.reduce((n, trace) => n + (trace.x || trace.cells.values[0]).length, 0)"
            )
            assert points > 0, f"{chart.id} has no data points"
            assert plot.locator(".main-svg").count() >= 1, f"plotly drew no SVG for {chart.id}"

    period = page.locator("p.period")
    start = dt.date.fromisoformat(period.get_attribute("data-start"))
    end = dt.date.fromisoformat(period.get_attribute("data-end"))
    previous_end = start - dt.timedelta(days=1)
    previous_start = previous_end - (end - start)
    tiles = page.locator("section.shop div.kpi")
    for index in range(tiles.count()):
        tile = tiles.nth(index)
        shop = tile.locator("xpath=ancestor::section[1]")
        shop_id, currency = shop.get_attribute("data-shop"), shop.get_attribute("data-currency")
        metric_key = tile.get_attribute("data-metric")
        expected = recomputed_tile(published_reporting.duckdb_path, metric_key, shop_id, currency, start, end)
        expected_previous = recomputed_tile(
            published_reporting.duckdb_path, metric_key, shop_id, currency, previous_start, previous_end
        )
        shown = tile.locator(".kpi-value").inner_text()
        assert same_value(tile.get_attribute("data-value"), expected), (metric_key, shop_id)
        assert same_value(tile.get_attribute("data-previous-value"), expected_previous), (metric_key, shop_id)
        assert shown == as_displayed(expected, metric_key, currency), (metric_key, shown)
        assert tile.locator(".definition").inner_text().strip(), f"{metric_key} shows no definition"
        if expected is not None and expected_previous:
            change = (Decimal(expected) - Decimal(expected_previous)) / abs(Decimal(expected_previous)) * 100
            delta = tile.locator(".kpi-delta")
            assert delta.inner_text() == f"{change:+.1f} % vs previous period", metric_key
            rise_is_bad = SPEC["metrics"][metric_key].get("better") == "lower"
            if change != 0:
                assert delta.get_attribute("class").split()[-1] == ("bad" if (change > 0) == rise_is_bad else "good")

    page.screenshot(path=str(screenshot_dir / f"dashboard-{spec_page.slug}.png"), full_page=True)
    assert console_errors == []
    assert remote_requests == [], "the preview must work offline (plotly.js is served beside the pages)"
