"""Enforced contracts on every table Looker Studio reads, in types that hold on DuckDB and BigQuery.

The contract (`config: {contract: {enforced: true}}` and a `data_type` per column in the marts'
yml) makes dbt compare the model's result with the declared columns before it writes the table,
so a type changing upstream fails the build instead of reaching Looker Studio. The declared types
come from one small set that both engines accept as cast targets and resolve the same way in
dbt's contract check; money is `decimal(38, 9)`, the literal macro type_money() casts to.
"""

from __future__ import annotations

import json
import re

import duckdb
import pytest
import sqlglot
from sqlglot.errors import ParseError

from shop_analytics.config import REPO_ROOT
from shop_analytics.publish import REPORTING_SCHEMA, REPORTING_TABLES

# Contract type -> (the type DuckDB gives the column, the type BigQuery gives it).
PORTABLE_TYPES = {
    "string": ("VARCHAR", "STRING"),
    "bigint": ("BIGINT", "INT64"),
    "boolean": ("BOOLEAN", "BOOL"),
    "date": ("DATE", "DATE"),
    "timestamp": ("TIMESTAMP", "TIMESTAMP"),
    "decimal(38, 9)": ("DECIMAL(38,9)", "NUMERIC"),
}
TYPES_MACROS = REPO_ROOT / "include" / "dbt" / "macros" / "cross_db" / "types.sql"


def type_problem(data_type: str | None) -> str | None:
    """Why a declared contract type is not portable, or None when it is."""
    if data_type is None:
        return "no data_type"
    if data_type not in PORTABLE_TYPES:
        return f"{data_type!r} is not one of {sorted(PORTABLE_TYPES)}"
    return None


def duckdb_type(data_type: str) -> str:
    with duckdb.connect() as connection:
        return connection.execute(f"select typeof(cast(null as {data_type}))").fetchone()[0]


def bigquery_type(data_type: str) -> str:
    """The type BigQuery's dialect (sqlglot) reads from `cast(null as <data_type>)`, in
    BigQuery's spelling (NUMERIC, possibly with its parameters)."""
    expression = sqlglot.parse_one(
        f"select cast(null as {data_type})", read="bigquery", error_level=sqlglot.ErrorLevel.RAISE
    )
    return expression.find(sqlglot.exp.DataType).sql("bigquery")


@pytest.fixture(scope="module")
def reporting_models(published_base) -> dict[str, dict]:
    """The manifest nodes of the reporting tables, from the build that published them."""
    manifest = json.loads((published_base.target_path / "manifest.json").read_text())
    models = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["name"] in REPORTING_TABLES
    }
    assert sorted(models) == sorted(REPORTING_TABLES), "every reporting table is a model of the project"
    return models


def built_column_types(duckdb_path, schema: str, table: str) -> list[tuple[str, str]]:
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return connection.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()


# --- the type set itself ---------------------------------------------------------------------


@pytest.mark.parametrize("data_type", list(PORTABLE_TYPES))
def test_portable_type_resolves_as_expected_on_both_engines(data_type):
    duckdb_expected, bigquery_expected = PORTABLE_TYPES[data_type]
    assert duckdb_type(data_type) == duckdb_expected
    assert bigquery_type(data_type).startswith(bigquery_expected)


@pytest.mark.parametrize("data_type", ["float64", "double", "integer", "numeric", "int64", "varchar", None])
def test_engine_specific_types_are_not_portable(data_type):
    """The check below rejects a type only one engine knows, or that resolves differently
    (numeric is DECIMAL(18, 3) on DuckDB, integer is 32-bit on DuckDB and INT64 on BigQuery)."""
    assert type_problem(data_type) is not None


def test_money_macro_casts_to_the_contract_literal():
    """Every adapter's type_money() renders the literal the contracts declare for money (a
    BigQuery-only `numeric` would still pass BigQuery's contract check, but the two engines'
    tables would no longer be declared and cast alike)."""
    definitions = re.findall(
        r"\{% macro (\w+__type_money)\(\) -%\}\s*(.*?)\s*\{%- endmacro %\}", TYPES_MACROS.read_text(), re.DOTALL
    )
    assert definitions == [("default__type_money", "decimal(38, 9)")], definitions


# --- the contracts ---------------------------------------------------------------------------


@pytest.mark.parametrize("model_name", REPORTING_TABLES)
def test_reporting_table_has_an_enforced_contract(reporting_models, model_name):
    node = reporting_models[model_name]
    assert node["config"]["contract"]["enforced"] is True
    assert node["config"]["contract"]["alias_types"] is True
    assert node["columns"], "a contract needs the columns"
    problems = {name: type_problem(column.get("data_type")) for name, column in node["columns"].items()}
    assert {name: problem for name, problem in problems.items() if problem} == {}


@pytest.mark.parametrize("model_name", REPORTING_TABLES)
def test_incremental_reporting_table_fails_on_schema_change(reporting_models, model_name):
    """dbt enforces contracts on incremental models only with append_new_columns or fail;
    fail keeps an incremental mart's columns exactly the contract's."""
    config = reporting_models[model_name]["config"]
    if config["materialized"] == "incremental":
        assert config["on_schema_change"] == "fail"
    else:
        assert config["materialized"] == "table"


@pytest.mark.parametrize("schema", ["marts", REPORTING_SCHEMA])
@pytest.mark.parametrize("model_name", REPORTING_TABLES)
def test_built_table_has_the_contract_columns_and_types(published_base, reporting_models, model_name, schema):
    """The audited mart and its published copy have exactly the declared columns, in the
    declared order, each of the DuckDB type its contract type resolves to."""
    declared = [
        (name, PORTABLE_TYPES[column["data_type"]][0])
        for name, column in reporting_models[model_name]["columns"].items()
    ]
    assert built_column_types(published_base.duckdb_path, schema, model_name) == declared


def test_bigquery_reads_every_declared_type(reporting_models):
    """Each declared type parses in BigQuery's dialect as the BigQuery type it stands for."""
    unparsed = {}
    for node in reporting_models.values():
        for name, column in node["columns"].items():
            try:
                parsed = bigquery_type(column["data_type"])
            except ParseError as error:
                unparsed[f"{node['name']}.{name}"] = str(error)[:200]
                continue
            expected = PORTABLE_TYPES[column["data_type"]][1]
            if not parsed.startswith(expected):
                unparsed[f"{node['name']}.{name}"] = f"{parsed} is not {expected}"
    assert unparsed == {}
