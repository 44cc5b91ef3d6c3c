"""`make looker-link`: the Looker Studio Linking API URL that creates the owner's report.

The report is a copy of a template report (`c.reportId`) built once from the dashboard spec
(docs/looker-studio.md). The template has one BigQuery data source per reporting table the
spec uses, each with the table's name as its Linking API alias; the URL points every alias at
that table in the production `reporting` dataset. Naming `ds.<alias>.connector` replaces the
template's data source whole, so each alias carries connector, type, projectId, datasetId and
tableId together.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from shop_analytics.dashboard.spec import DASHBOARD_SPEC_PATH, Dashboard, load_dashboard

LINKING_API_URL = "https://lookerstudio.google.com/reporting/create"
REPORTING_DATASET = "reporting"  # shop_analytics.publish.REPORTING_SCHEMA (a test keeps them equal)
# Google Cloud project ids: 6-30 lowercase letters, digits and hyphens, starting with a letter.
PROJECT_ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
DATASET_ID_PATTERN = re.compile(r"^[A-Za-z0-9_]{1,1024}$")
REPORT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
ALIAS_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class LookerLinkSettingsError(ValueError):
    """A deploy setting the link needs is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class LookerLinkSettings:
    """Where the report reads from and which template it copies.

    Read from environment variables, the same ones the deploy uses (composer/
    environment_variables.env and the dbt profile): SHOP_ANALYTICS_GCP_PROJECT,
    SHOP_ANALYTICS_SCHEMA_PREFIX (the dataset is <prefix>reporting, or
    SHOP_ANALYTICS_REPORTING_DATASET), SHOP_ANALYTICS_LOOKER_TEMPLATE_REPORT_ID and, optionally,
    SHOP_ANALYTICS_LOOKER_REPORT_NAME.
    """

    project_id: str
    dataset_id: str
    template_report_id: str
    report_name: str

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> LookerLinkSettings:
        environ = dict(os.environ if environ is None else environ)
        missing = [
            name
            for name in ("SHOP_ANALYTICS_GCP_PROJECT", "SHOP_ANALYTICS_LOOKER_TEMPLATE_REPORT_ID")
            if not environ.get(name)
        ]
        if missing:
            raise LookerLinkSettingsError(
                f"set {' and '.join(missing)}: the production GCP project and the id of the template report "
                "(the part after /reporting/ in its URL; docs/looker-studio.md builds it)"
            )
        settings = cls(
            project_id=environ["SHOP_ANALYTICS_GCP_PROJECT"],
            dataset_id=environ.get("SHOP_ANALYTICS_REPORTING_DATASET")
            or environ.get("SHOP_ANALYTICS_SCHEMA_PREFIX", "") + REPORTING_DATASET,
            template_report_id=environ["SHOP_ANALYTICS_LOOKER_TEMPLATE_REPORT_ID"],
            report_name=environ.get("SHOP_ANALYTICS_LOOKER_REPORT_NAME", ""),
        )
        settings.check()
        return settings

    def check(self) -> None:
        if not PROJECT_ID_PATTERN.match(self.project_id):
            raise LookerLinkSettingsError(
                f"SHOP_ANALYTICS_GCP_PROJECT={self.project_id!r} is not a Google Cloud project id "
                "(6-30 lowercase letters, digits or hyphens, starting with a letter)"
            )
        if not DATASET_ID_PATTERN.match(self.dataset_id):
            raise LookerLinkSettingsError(f"reporting dataset {self.dataset_id!r} is not a BigQuery dataset id")
        if not REPORT_ID_PATTERN.match(self.template_report_id):
            raise LookerLinkSettingsError(
                f"SHOP_ANALYTICS_LOOKER_TEMPLATE_REPORT_ID={self.template_report_id!r} is not a report id: "
                "copy only the id from https://lookerstudio.google.com/reporting/<id>"
            )


def data_source_aliases(dashboard: Dashboard) -> dict[str, str]:
    """alias -> reporting table: one template data source per table the charts read, aliased by its name."""
    aliases = {table: table for table in dashboard.tables_used()}
    for alias in aliases:
        if not ALIAS_PATTERN.match(alias):
            raise ValueError(f"table {alias!r} cannot be a Linking API data source alias")
    return aliases


def linking_api_parameters(dashboard: Dashboard, settings: LookerLinkSettings) -> list[tuple[str, str]]:
    parameters = [
        ("c.reportId", settings.template_report_id),
        ("r.reportName", settings.report_name or dashboard.name),
    ]
    for alias, table in data_source_aliases(dashboard).items():
        parameters += [
            (f"ds.{alias}.connector", "bigQuery"),
            (f"ds.{alias}.type", "TABLE"),
            (f"ds.{alias}.projectId", settings.project_id),
            (f"ds.{alias}.datasetId", settings.dataset_id),
            (f"ds.{alias}.tableId", table),
        ]
    return parameters


def looker_link(dashboard: Dashboard, settings: LookerLinkSettings) -> str:
    return f"{LINKING_API_URL}?{urlencode(linking_api_parameters(dashboard, settings), quote_via=quote)}"


def template_guide(dashboard: Dashboard) -> str:
    """What to place in the template report, chart by chart (docs/looker-studio.md shows it)."""
    lines = [
        "| page | chart | data source (alias = table) | dimension | metrics (aggregation) | date range field |",
        "|---|---|---|---|---|---|",
    ]
    for page in dashboard.pages:
        for chart in page.charts:
            metrics = ", ".join(
                f"`{metric.column}` = `SUM({metric.numerator}) / SUM({metric.denominator})`"
                if metric.aggregation == "ratio"
                else f"`{metric.column}` ({metric.aggregation.upper()})"
                for metric in chart.metrics
            )
            dimension = ", ".join(f"`{column}`" for column in chart.dimensions) or "(none)"
            date = dashboard.tables[chart.table].date
            lines.append(
                f"| {page.name} | {chart.kind} `{chart.id}` | `{chart.table}` | {dimension} | {metrics} | "
                f"{f'`{date}`' if date else '(none: latest state)'} |"
            )
    return "\n".join(lines)


def main() -> int:
    if sys.argv[1:] == ["--template-guide"]:
        print(template_guide(load_dashboard(DASHBOARD_SPEC_PATH)))
        return 0
    try:
        settings = LookerLinkSettings.from_env()
    except LookerLinkSettingsError as error:
        print(f"make looker-link: {error}", file=sys.stderr)
        return 2
    print(looker_link(load_dashboard(DASHBOARD_SPEC_PATH), settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
