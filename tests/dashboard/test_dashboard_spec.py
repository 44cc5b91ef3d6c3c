"""The dashboard spec: each metric defined once, on a published column, with the dbt
description as its definition; every chart names known metrics of its own table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from shop_analytics.config import REPO_ROOT
from shop_analytics.dashboard import DASHBOARD_SPEC_PATH, load_dashboard
from shop_analytics.dashboard.spec import DashboardSpecError

MANIFEST = REPO_ROOT / "include" / "dbt" / "target" / "manifest.json"
PAGES = ["Overview", "Sales & profit", "Products", "Customers & cohorts", "Traffic & channels", "Instagram"]


def test_spec_has_the_owners_pages_and_every_metric_has_its_dbt_definition():
    dashboard = load_dashboard(DASHBOARD_SPEC_PATH, MANIFEST)
    assert [page.name for page in dashboard.pages] == PAGES
    undescribed = sorted(key for key, metric in dashboard.metrics.items() if not metric.definition)
    assert undescribed == [], f"describe these columns in the models' yml (the dashboard shows it): {undescribed}"
    used = {metric.key for page in dashboard.pages for chart in page.charts for metric in chart.metrics}
    assert used == set(dashboard.metrics), "a metric defined but shown nowhere, or shown but not defined"


def test_definitions_are_read_from_the_manifest_not_copied(tmp_path: Path):
    """Change a description in the manifest: the dashboard's definition follows."""
    manifest = json.loads(MANIFEST.read_text())
    node = next(n for n in manifest["nodes"].values() if n.get("name") == "fct_sales_daily")
    node["columns"]["net_profit"]["description"] = "corrected definition"
    changed = tmp_path / "manifest.json"
    changed.write_text(json.dumps(manifest))
    assert load_dashboard(DASHBOARD_SPEC_PATH, changed).metrics["fct_sales_daily.net_profit"].definition == (
        "corrected definition"
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda spec: spec["metrics"].update(
                {"fct_sales_daily.no_such_column": spec["metrics"]["fct_sales_daily.units"]}
            ),
            "no column 'no_such_column'",
        ),
        (lambda spec: spec["pages"][0]["charts"][0]["metrics"].append("fct_sales_daily.units"), "is of another table"),
        (lambda spec: spec["pages"][0]["charts"][0]["metrics"].append("nowhere.units"), "not under `metrics:`"),
        (lambda spec: spec["metrics"]["fct_sales_daily.units"].update(aggregation="avg"), "aggregation must be"),
        (lambda spec: spec["metrics"]["fct_sales_daily.units"].update({"summed)": None}), "unknown keys"),
    ],
)
def test_a_broken_spec_is_refused_with_what_to_fix(tmp_path: Path, edit, message):
    spec = yaml.safe_load(DASHBOARD_SPEC_PATH.read_text())
    edit(spec)
    broken = tmp_path / "spec.yml"
    broken.write_text(yaml.safe_dump(spec))
    with pytest.raises(DashboardSpecError, match=message):
        load_dashboard(broken, MANIFEST)
