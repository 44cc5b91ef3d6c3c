"""`make looker-link`: the Linking API URL against the dashboard spec and the API's rules."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from urllib.parse import parse_qsl, urlsplit

import pytest

from shop_analytics.config import REPO_ROOT
from shop_analytics.dashboard import load_dashboard
from shop_analytics.dashboard.looker_link import (
    REPORTING_DATASET,
    LookerLinkSettings,
    LookerLinkSettingsError,
    looker_link,
)
from tests.dashboard.expected import SPEC

ENVIRONMENT = {
    "SHOP_ANALYTICS_GCP_PROJECT": "etsy-shop-prod",
    "SHOP_ANALYTICS_LOOKER_TEMPLATE_REPORT_ID": "0b5a1f2e-7c3d-4e8f-9a6b-1c2d3e4f5a6b",
}
BIGQUERY_TABLE_PARAMETERS = {"connector", "type", "projectId", "datasetId", "tableId"}


def spec_tables() -> list[str]:
    """Every table a chart of the spec reads, straight from the YAML."""
    return list(dict.fromkeys(chart["table"] for page in SPEC["pages"] for chart in page["charts"]))


def parsed_link(environment: dict[str, str]) -> tuple[str, list[tuple[str, str]]]:
    url = looker_link(load_dashboard(), LookerLinkSettings.from_env(environment))
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}", parse_qsl(parts.query, strict_parsing=True)


def test_link_creates_the_report_from_the_template_on_every_reporting_table_of_the_spec():
    base, parameters = parsed_link(ENVIRONMENT)
    assert base == "https://lookerstudio.google.com/reporting/create"
    names = [name for name, _ in parameters]
    assert len(names) == len(set(names)), f"a parameter is repeated: {Counter(names).most_common(3)}"
    values = dict(parameters)
    assert values["c.reportId"] == ENVIRONMENT["SHOP_ANALYTICS_LOOKER_TEMPLATE_REPORT_ID"]
    assert values["r.reportName"] == SPEC["name"]

    data_source_parameters = [name for name in names if name.startswith("ds.")]
    aliases = list(dict.fromkeys(name.split(".")[1] for name in data_source_parameters))
    assert "*" not in aliases, "ds.* would point every data source at one table"
    assert aliases == spec_tables(), "one data source alias per reporting table the charts read"
    for alias in aliases:
        given = {name.split(".", 2)[2] for name in data_source_parameters if name.split(".")[1] == alias}
        # Naming the connector replaces the template's data source whole: all five go together.
        assert given == BIGQUERY_TABLE_PARAMETERS, alias
        assert values[f"ds.{alias}.connector"] == "bigQuery"
        assert values[f"ds.{alias}.type"] == "TABLE"
        assert values[f"ds.{alias}.projectId"] == "etsy-shop-prod"
        assert values[f"ds.{alias}.datasetId"] == "reporting"
        assert values[f"ds.{alias}.tableId"] == alias


def test_link_reads_the_prefixed_reporting_dataset_and_the_report_name_from_the_settings():
    _, parameters = parsed_link(
        {**ENVIRONMENT, "SHOP_ANALYTICS_SCHEMA_PREFIX": "dev_", "SHOP_ANALYTICS_LOOKER_REPORT_NAME": "Shop & co"}
    )
    values = dict(parameters)
    assert {value for name, value in parameters if name.endswith(".datasetId")} == {"dev_reporting"}
    assert values["r.reportName"] == "Shop & co"


def test_reporting_dataset_is_the_one_publish_writes():
    from shop_analytics.publish import REPORTING_SCHEMA, REPORTING_TABLES

    assert REPORTING_DATASET == REPORTING_SCHEMA
    assert set(spec_tables()) <= set(REPORTING_TABLES), "the report may only read published tables"


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"SHOP_ANALYTICS_GCP_PROJECT": ""}, "SHOP_ANALYTICS_GCP_PROJECT"),
        ({"SHOP_ANALYTICS_LOOKER_TEMPLATE_REPORT_ID": ""}, "SHOP_ANALYTICS_LOOKER_TEMPLATE_REPORT_ID"),
        ({"SHOP_ANALYTICS_GCP_PROJECT": "Etsy_Prod"}, "not a Google Cloud project id"),
        (
            {"SHOP_ANALYTICS_LOOKER_TEMPLATE_REPORT_ID": "https://lookerstudio.google.com/reporting/abc"},
            "copy only the id",
        ),
    ],
)
def test_missing_or_malformed_settings_are_named(override, named):
    with pytest.raises(LookerLinkSettingsError, match=named):
        LookerLinkSettings.from_env({**ENVIRONMENT, **override})


def test_make_looker_link_prints_the_url_or_says_what_to_set():
    command = [sys.executable, "-m", "shop_analytics.dashboard.looker_link"]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT / "plugins")}
    printed = subprocess.run(command, env={**env, **ENVIRONMENT}, capture_output=True, text=True, check=True)
    assert printed.stdout.startswith("https://lookerstudio.google.com/reporting/create?c.reportId=")
    refused = subprocess.run(command, env=env, capture_output=True, text=True)
    assert refused.returncode == 2
    assert "SHOP_ANALYTICS_GCP_PROJECT" in refused.stderr


def test_docs_show_the_template_guide_of_the_spec():
    from shop_analytics.dashboard.looker_link import template_guide

    docs = (REPO_ROOT / "docs" / "looker-studio.md").read_text()
    shown = docs.split("<!-- template-guide:start -->\n")[1].split("<!-- template-guide:end -->")[0]
    assert shown.strip() == template_guide(load_dashboard()).strip(), (
        "docs/looker-studio.md is out of date: paste `python -m shop_analytics.dashboard.looker_link --template-guide`"
    )
