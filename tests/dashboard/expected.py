"""Expected dashboard numbers, straight from the spec's YAML and the published DuckDB tables:
independent of the SQL the preview and the digest generate, so a mistake there shows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import yaml

from shop_analytics.dashboard import DASHBOARD_SPEC_PATH

SPEC = yaml.safe_load(DASHBOARD_SPEC_PATH.read_text())


def recomputed_tile(duckdb_path: Path, metric_key: str, shop_id: str, currency: str, start: dt.date, end: dt.date):
    table, column = metric_key.split(".")
    metric = SPEC["metrics"][metric_key]
    controls = SPEC["tables"][table]
    conditions, parameters = [f"{controls['shop']} = ?"], [shop_id]
    if controls.get("date"):
        conditions.append(f"{controls['date']} >= ? and {controls['date']} <= ?")
        parameters += [start, end]
    if controls.get("currency"):
        conditions.append(f"{controls['currency']} = ?")
        parameters.append(currency)
    if metric["aggregation"] == "ratio":
        expression = f"sum({metric['numerator']}) / nullif(sum({metric['denominator']}), 0)"
    else:
        expression = f"{metric['aggregation']}({column})"
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        (value,) = connection.execute(
            f"select {expression} from reporting.{table} where {' and '.join(conditions)}", parameters
        ).fetchone()
    return value


def as_displayed(value, metric_key: str, currency: str) -> str:
    """How a number reads on a tile or in the digest: money with 2 decimals and its currency code."""
    value_format = SPEC["metrics"][metric_key]["format"]
    if value is None:
        return "n/a"
    if value_format == "money":
        return f"{Decimal(value):,.2f} {currency}"
    if value_format == "percent":
        return f"{float(value) * 100:.2f} %"
    return f"{Decimal(value):,.0f}"


def same_value(attribute: str, expected) -> bool:
    """A raw value written into the page equals the recomputed one (exact for decimals and counts)."""
    if expected is None:
        return attribute == ""
    if isinstance(expected, float):
        return abs(float(attribute) - expected) <= 1e-12 * max(1.0, abs(expected))
    return Decimal(attribute) == Decimal(expected)
