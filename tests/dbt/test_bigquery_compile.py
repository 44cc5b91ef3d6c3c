"""Every model (and test) of the dbt project compiles for BigQuery offline, and the compiled
SQL parses as BigQuery SQL (sqlglot), both as a first build and as an incremental run; the
publish operation, run offline, describes every reporting table and column on BigQuery."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError
from sqlglot.tokens import TokenType

HELPER = Path(__file__).with_name("bigquery_offline_compile.py")
PUBLISH_HELPER = Path(__file__).with_name("bigquery_offline_publish.py")


@pytest.fixture(scope="module", params=["first_build", "incremental_run"])
def compiled(request, tmp_path_factory) -> Path:
    target_path = tmp_path_factory.mktemp(f"bigquery_{request.param}")
    command = [sys.executable, str(HELPER), str(target_path)]
    if request.param == "incremental_run":
        command.append("--existing")
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    models = compiled_models(target_path)
    incremental_sql = models["model.shop_analytics.int_sales__orders"]
    # The two compiles cover both branches of every incremental model.
    assert ("changed_order_dates" in incremental_sql) == (request.param == "incremental_run")
    return target_path


def compiled_models(target_path: Path) -> dict[str, str]:
    manifest = json.loads((target_path / "manifest.json").read_text())
    return {
        unique_id: node["compiled_code"]
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "test") and node.get("compiled_code") is not None
    }


def test_every_model_compiles_for_bigquery(compiled):
    manifest = json.loads((compiled / "manifest.json").read_text())
    models = [node for node in manifest["nodes"].values() if node["resource_type"] == "model"]
    assert models, "no models in the manifest"
    uncompiled = [node["unique_id"] for node in models if not node.get("compiled_code")]
    assert not uncompiled, f"models without compiled SQL: {uncompiled}"


def test_compiled_sql_parses_as_bigquery(compiled):
    failures = {}
    for unique_id, sql in compiled_models(compiled).items():
        try:
            sqlglot.parse(sql, read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)
        except ParseError as error:
            failures[unique_id] = str(error)[:500]
    assert not failures, json.dumps(failures, indent=1)


# DuckDB spellings that sqlglot's BigQuery dialect still maps onto a known expression (so they
# parse), but BigQuery rejects: `len(x)`, `datediff(...)`, `date_diff('unit', a, b)`, `x::type`.
DUCKDB_SPELLINGS_SQLGLOT_ACCEPTS = ("len", "datediff")


def duckdb_only_sql(sql: str) -> list[str]:
    """What in `sql` is not BigQuery: functions unknown to BigQuery (sqlglot parses them as
    anonymous: DuckDB's json_extract_string, strftime, epoch, list_*, ...) and DuckDB spellings
    sqlglot accepts anyway. The BigQuery emulator runs DuckDB underneath and accepts them all,
    so this is where a DuckDB-only function in a BigQuery model is caught (docs/bigquery.md)."""
    found = []
    for tree in sqlglot.parse(sql, read="bigquery"):
        if tree is None:
            continue
        found += [f"{function.name}()" for function in tree.find_all(exp.Anonymous)]
        found += [
            "date_diff('unit', ...)"
            for function in tree.find_all(exp.DateDiff)
            if isinstance(function.this, exp.Literal) and function.this.is_string
        ]
    tokens = sqlglot.tokenize(sql, read="bigquery")
    for token, following in zip(tokens, tokens[1:], strict=False):
        if token.token_type == TokenType.DCOLON:
            found.append(":: cast")
        elif following.token_type == TokenType.L_PAREN and token.text.lower() in DUCKDB_SPELLINGS_SQLGLOT_ACCEPTS:
            found.append(f"{token.text.lower()}()")
    return found


def test_compiled_sql_has_no_duckdb_only_functions(compiled):
    found = {unique_id: duckdb_only_sql(sql) for unique_id, sql in compiled_models(compiled).items()}
    found = {unique_id: names for unique_id, names in found.items() if names}
    assert not found, json.dumps(found, indent=1)


@pytest.mark.parametrize(
    "duckdb_sql",
    [
        "select json_extract_string(payload, '$.id') from t",
        "select strftime(created_at, '%Y-%m') from t",
        "select list_filter(items, x -> x > 1) from t",
        "select epoch(created_at) from t",
        "select amount::decimal(38, 9) from t",
        "select len(name) from t",
        "select date_diff('day', started_at, ended_at) from t",
    ],
)
def test_the_duckdb_only_check_catches_duckdb_sql(duckdb_sql):
    assert duckdb_only_sql(duckdb_sql)


def test_the_duckdb_only_check_passes_bigquery_sql():
    sql = (
        "select json_value(payload, '$.id'), format_date('%Y-%m', d), date_diff(b, a, day), "
        "cast(amount as numeric), length(name), timestamp_seconds(epoch) from t"
    )
    assert duckdb_only_sql(sql) == []


def test_compiled_sql_has_no_week_truncation(compiled):
    """The emulator truncates `date_trunc(d, week(monday))` to the wrong day without an error
    (docs/bigquery.md): a model truncating to weeks must be checked on BigQuery itself first."""
    weekly = [
        unique_id
        for unique_id, sql in compiled_models(compiled).items()
        for tree in sqlglot.parse(sql, read="bigquery")
        if tree is not None
        for truncation in tree.find_all(exp.DateTrunc, exp.TimestampTrunc)
        if "WEEK" in truncation.args["unit"].sql(dialect="bigquery").upper()
    ]
    assert not weekly, f"week truncation, which the emulator gets wrong, in {weekly}: see docs/bigquery.md"


def test_compiled_sql_uses_bigquery_functions(compiled):
    """The dispatch macros took their BigQuery branch (a DuckDB-only spelling would still parse)."""
    models = compiled_models(compiled)
    transactions = models["model.shop_analytics.stg_etsy__transactions"]
    assert "json_query_array" in transactions and "json_extract_string" not in transactions
    assert "timestamp_seconds" in transactions


@pytest.fixture(scope="module")
def published_offline(tmp_path_factory) -> dict:
    """The publish operation run for BigQuery offline: what it would send, per call."""
    sys.path.insert(0, str(HELPER.parents[2] / "plugins"))
    from shop_analytics.publish import publish_args

    target_path = tmp_path_factory.mktemp("bigquery_publish")
    command = [sys.executable, str(PUBLISH_HELPER), str(target_path), json.dumps(publish_args())]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    calls = json.loads((target_path / "publish_calls.json").read_text())
    manifest = json.loads((target_path / "manifest.json").read_text())
    calls["models"] = {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    return calls


def test_publish_describes_every_reporting_table_and_column_on_bigquery(published_offline):
    """Looker Studio shows BigQuery's descriptions: the publish clones each mart into `reporting`
    and sets the table's description and every column's (all of the model's contract columns,
    none empty) from the dbt graph."""
    from shop_analytics.publish import REPORTING_SCHEMA, REPORTING_TABLES

    clones = " ".join(published_offline["statements"])
    tables = {call["table"]: call for call in published_offline["table_descriptions"]}
    columns = {call["table"]: call for call in published_offline["column_descriptions"]}
    for table in REPORTING_TABLES:
        model = published_offline["models"][table]
        project, mart = model["database"], f"`{model['database']}`.`{model['schema']}`.`{model['alias']}`"
        assert f"create or replace table `{project}`.`{REPORTING_SCHEMA}`.`{table}` clone {mart}" in clones, table
        assert table in tables and table in columns, f"the publish set no description on reporting.{table}"
        assert tables[table]["schema"] == columns[table]["schema"] == REPORTING_SCHEMA
        assert tables[table]["description"] == model["description"] != "", table
        described = columns[table]["columns"]
        assert set(described) == set(model["columns"]), f"{table}: columns not described on BigQuery"
        empty = [column for column, description in described.items() if not description.strip()]
        assert not empty, f"reporting.{table}: empty descriptions on BigQuery: {empty}"
        for column, description in described.items():
            assert description == model["columns"][column]["description"], f"{table}.{column}"


def test_customer_id_is_an_hmac_under_the_pepper_on_bigquery(compiled):
    """BigQuery has no HMAC function: the model must hash with the pads RFC 2104 derives from
    the pepper (the DuckDB test recomputes the digest itself, from the same formula)."""
    sys.path.insert(0, str(HELPER.parent))
    from bigquery_offline_compile import OFFLINE_COMPILE_PEPPER

    key = bytes.fromhex(OFFLINE_COMPILE_PEPPER).ljust(64, b"\0")
    inner, outer = (bytes(byte ^ pad for byte in key).hex() for pad in (0x36, 0x5C))
    sql = " ".join(compiled_models(compiled)["model.shop_analytics.int_sales__orders"].split())
    assert f"to_hex(sha256(from_hex('{outer}') || sha256(from_hex('{inner}') || cast(cast(concat(" in sql
    assert OFFLINE_COMPILE_PEPPER not in sql.replace(inner, "").replace(outer, "")


def test_reporting_tables_are_partitioned_by_date_and_clustered_by_shop_on_bigquery(compiled):
    """Looker Studio's date range then scans only the partitions it shows (the publish step
    clones marts, which keeps partitioning and clustering). Dimensions have no date to filter
    on: clustered by shop only."""
    sys.path.insert(0, str(HELPER.parents[2] / "plugins"))
    from shop_analytics.publish import REPORTING_TABLES

    manifest = json.loads((compiled / "manifest.json").read_text())
    configs = {node["name"]: node["config"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    unpartitioned = {}
    for table in REPORTING_TABLES:
        config = configs[table]
        cluster_by = config.get("cluster_by") or []
        if not cluster_by or cluster_by[0] != "shop_id":
            unpartitioned[table] = f"clustered by {cluster_by}, not shop first"
        partition_by = config.get("partition_by")
        if table.startswith("dim_"):
            continue
        if not partition_by or partition_by.get("data_type") != "date":
            unpartitioned[table] = f"partition_by {partition_by}"
    assert unpartitioned == {}, unpartitioned


# Tables with no day grain: one row per customer / listing, read whole by every report; a date
# partition would hold the whole table in one partition. Clustered by shop all the same.
UNPARTITIONED_BY_DESIGN = {
    "dim_customers": "one row per customer, no day grain",
    "dim_products": "one row per listing, no day grain",
}
# Large tables still built without partitioning or clustering on BigQuery: their model SQL is
# being reworked on wip/layering, which must give each a date partition and a shop cluster
# (sales_table_config) and then remove it here; the test fails on any model missing from or
# left over in this list.
NOT_YET_PARTITIONED = {
    "fct_customer_cohorts": "cohort month x shop: sales_table_config on cohort_month",
    "fct_instagram_posts": "one row per post: date_partitioned_table_config on published_date",
    "int_sales__customer_orders": "rebuilt in full from int_sales__orders",
    "int_sales__order_fees": "rebuilt in full from the ledger allocations",
}


def test_every_large_bigquery_table_is_date_partitioned_and_clustered_by_shop(compiled):
    """Every table and incremental model (views scan their inputs) records a date partition
    and a clustering that starts with shop_id, on the bigquery target."""
    manifest = json.loads((compiled / "manifest.json").read_text())
    lacking = {}
    for node in manifest["nodes"].values():
        config = node["config"]
        if node["resource_type"] != "model" or config["materialized"] not in ("table", "incremental"):
            continue
        partition = config.get("partition_by") or {}
        problems = []
        if partition.get("data_type") != "date" and node["name"] not in UNPARTITIONED_BY_DESIGN:
            problems.append(f"partition_by {partition or None}")
        if (config.get("cluster_by") or [None])[0] != "shop_id":
            problems.append(f"cluster_by {config.get('cluster_by')}")
        if problems:
            lacking[node["name"]] = problems
    assert set(lacking) == set(NOT_YET_PARTITIONED), (
        f"models lacking a date partition or a shop cluster on BigQuery: {json.dumps(lacking, indent=1)}; "
        f"known and listed: {sorted(NOT_YET_PARTITIONED)}"
    )


def test_the_largest_fact_tables_require_a_partition_filter(compiled):
    """Orders and order items grow with every order: a reader scanning all of either is a mistake."""
    manifest = json.loads((compiled / "manifest.json").read_text())
    configs = {node["name"]: node["config"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    assert configs["fct_orders"]["require_partition_filter"] is True
    assert configs["fct_order_items"]["require_partition_filter"] is True
