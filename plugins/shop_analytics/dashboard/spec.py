"""The dashboard spec: pages, charts and metrics, each metric defined once.

A metric is keyed `<reporting table>.<column>`; its definition is that column's description
in the dbt manifest (models' yml and doc blocks), read when the dashboard is rendered, so
docs corrections reach the dashboard without touching the spec.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shop_analytics.config import REPO_ROOT

DASHBOARD_SPEC_PATH = REPO_ROOT / "include" / "dashboards" / "shop_overview.yml"
AGGREGATIONS = ("sum", "max", "ratio")
FORMATS = ("money", "number", "percent")
METRIC_KEYS = {"aggregation", "label", "format", "numerator", "denominator", "better"}
CHART_KINDS = ("scorecards", "time_series", "bar", "table", "waterfall")


class DashboardSpecError(ValueError):
    """The spec names something that does not exist or breaks a rule; the message says what to fix."""


@dataclass(frozen=True)
class Metric:
    key: str  # <table>.<column>
    table: str
    column: str
    aggregation: str
    label: str
    format: str
    numerator: str | None = None
    denominator: str | None = None
    definition: str = ""
    lower_is_better: bool = False  # costs: a rise is bad news

    def sql(self) -> str:
        """The metric's aggregate over the rows of its table (the same on DuckDB and BigQuery)."""
        if self.aggregation == "ratio":
            return f"sum({self.numerator}) / nullif(sum({self.denominator}), 0)"
        return f"{self.aggregation}({self.column})"


@dataclass(frozen=True)
class TableControls:
    """The columns of a reporting table the report controls filter on (None: no such filter)."""

    date: str | None
    shop: str | None
    currency: str | None


@dataclass(frozen=True)
class Chart:
    id: str
    kind: str
    table: str
    metrics: tuple[Metric, ...]
    dimensions: tuple[str, ...] = ()
    order_by: str | None = None
    limit: int | None = None


@dataclass(frozen=True)
class Page:
    name: str
    charts: tuple[Chart, ...]

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")


@dataclass(frozen=True)
class Dashboard:
    name: str
    comparison: str
    default_date_range: str
    tables: dict[str, TableControls]
    metrics: dict[str, Metric]
    pages: tuple[Page, ...] = field(default_factory=tuple)

    def tables_used(self) -> list[str]:
        """Reporting tables the charts read, in order of first use (one Looker data source each)."""
        seen: dict[str, None] = {}
        for page in self.pages:
            for chart in page.charts:
                seen.setdefault(chart.table, None)
        return list(seen)

    def chart(self, chart_id: str) -> Chart:
        for page in self.pages:
            for chart in page.charts:
                if chart.id == chart_id:
                    return chart
        raise KeyError(f"no chart {chart_id!r} in the dashboard spec")


def load_dashboard(spec_path: Path = DASHBOARD_SPEC_PATH, manifest_path: Path | None = None) -> Dashboard:
    """The spec, checked, with each metric's definition from the dbt manifest when given."""
    raw = yaml.safe_load(spec_path.read_text())
    definitions = _column_descriptions(manifest_path) if manifest_path is not None else None
    tables = {}
    for table, controls in raw["tables"].items():
        if definitions is not None and table not in definitions:
            raise DashboardSpecError(f"{spec_path}: table {table!r} is not a model of the dbt project")
        tables[table] = TableControls(controls.get("date"), controls.get("shop"), controls.get("currency"))
    metrics = {key: _metric(spec_path, key, body, tables, definitions) for key, body in raw["metrics"].items()}
    pages = []
    chart_ids: set[str] = set()
    for page in raw["pages"]:
        charts = []
        for chart in page["charts"]:
            if chart["id"] in chart_ids:
                raise DashboardSpecError(f"{spec_path}: chart id {chart['id']!r} is used twice")
            chart_ids.add(chart["id"])
            charts.append(_chart(spec_path, chart, tables, metrics))
        pages.append(Page(page["name"], tuple(charts)))
    return Dashboard(
        name=raw["name"],
        comparison=raw["comparison"],
        default_date_range=raw["controls"]["date_range"]["default"],
        tables=tables,
        metrics=metrics,
        pages=tuple(pages),
    )


def _metric(
    spec_path: Path,
    key: str,
    body: dict[str, Any],
    tables: dict[str, TableControls],
    definitions: dict[str, dict[str, str]] | None,
) -> Metric:
    table, _, column = key.partition(".")
    if table not in tables or not column:
        raise DashboardSpecError(f"{spec_path}: metric {key!r} must be <table>.<column> of a table under `tables:`")
    unknown = set(body) - METRIC_KEYS
    if unknown:
        raise DashboardSpecError(
            f"{spec_path}: metric {key!r} has unknown keys {sorted(map(str, unknown))} "
            f"(known: {sorted(METRIC_KEYS)}; quote a label holding a comma)"
        )
    if body["aggregation"] not in AGGREGATIONS:
        raise DashboardSpecError(f"{spec_path}: metric {key!r}: aggregation must be one of {AGGREGATIONS}")
    if body["format"] not in FORMATS:
        raise DashboardSpecError(f"{spec_path}: metric {key!r}: format must be one of {FORMATS}")
    if body.get("better", "higher") not in ("higher", "lower"):
        raise DashboardSpecError(f"{spec_path}: metric {key!r}: better must be higher or lower")
    if body["aggregation"] == "ratio" and not (body.get("numerator") and body.get("denominator")):
        raise DashboardSpecError(f"{spec_path}: ratio metric {key!r} needs a numerator and a denominator")
    definition = ""
    if definitions is not None:
        columns = definitions.get(table)
        if columns is None or column not in columns:
            raise DashboardSpecError(
                f"{spec_path}: metric {key!r}: the dbt project has no column {column!r} on model {table!r} "
                "(rebuild the manifest with `make manifest`, or fix the key)"
            )
        definition = columns[column]
    return Metric(
        key=key,
        table=table,
        column=column,
        aggregation=body["aggregation"],
        label=body["label"],
        format=body["format"],
        numerator=body.get("numerator"),
        denominator=body.get("denominator"),
        definition=definition,
        lower_is_better=body.get("better") == "lower",
    )


def _chart(
    spec_path: Path, body: dict[str, Any], tables: dict[str, TableControls], metrics: dict[str, Metric]
) -> Chart:
    chart_id = body["id"]
    if body["kind"] not in CHART_KINDS:
        raise DashboardSpecError(f"{spec_path}: chart {chart_id!r}: kind must be one of {CHART_KINDS}")
    if body["table"] not in tables:
        raise DashboardSpecError(f"{spec_path}: chart {chart_id!r} reads {body['table']!r}, not under `tables:`")
    chart_metrics = []
    for key in body["metrics"]:
        if key not in metrics:
            raise DashboardSpecError(f"{spec_path}: chart {chart_id!r} names metric {key!r}, not under `metrics:`")
        if metrics[key].table != body["table"]:
            raise DashboardSpecError(
                f"{spec_path}: chart {chart_id!r} reads {body['table']!r} but metric {key!r} is of another table"
            )
        chart_metrics.append(metrics[key])
    dimension = body.get("dimension")
    dimensions = tuple(dimension) if isinstance(dimension, list) else ((dimension,) if dimension else ())
    if body["kind"] != "scorecards" and not dimensions:
        raise DashboardSpecError(f"{spec_path}: chart {chart_id!r} ({body['kind']}) needs a dimension")
    return Chart(
        id=chart_id,
        kind=body["kind"],
        table=body["table"],
        metrics=tuple(chart_metrics),
        dimensions=dimensions,
        order_by=body.get("order_by"),
        limit=body.get("limit"),
    )


def _column_descriptions(manifest_path: Path) -> dict[str, dict[str, str]]:
    """model name -> column -> description (doc blocks rendered), from the dbt manifest."""
    if not manifest_path.exists():
        raise FileNotFoundError(f"{manifest_path} is missing: run `make manifest` first")
    manifest = json.loads(manifest_path.read_text())
    return {
        node["name"]: {name: (column.get("description") or "").strip() for name, column in node["columns"].items()}
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
