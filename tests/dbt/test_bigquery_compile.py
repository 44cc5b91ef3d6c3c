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

from bench.daily_read_pruning import large_relations, reads, run_queries

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
    assert ("where created_date in (date '" in incremental_sql) == (request.param == "incremental_run")
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


# DuckDB spellings sqlglot's BigQuery dialect maps onto a known expression (so they parse),
# but BigQuery has no such function: `len(x)` (BigQuery: length), `datediff(...)`, `dayname`,
# `isnan` (is_nan), `bool_or` (logical_or), `arg_max` (max_by), `contains` (contains_substr),
# `generate_series` (generate_array).
DUCKDB_SPELLINGS_SQLGLOT_ACCEPTS = frozenset(
    {"len", "datediff", "dayname", "monthname", "isnan", "isinf", "bool_or", "bool_and", "arg_max", "arg_min"}
    | {"contains", "generate_series"}
)
# Functions whose unit BigQuery takes as a date part (`date_diff(b, a, day)`), DuckDB as a
# leading string (`date_diff('day', a, b)`): a string first argument is DuckDB's order.
UNIT_FIRST_IN_DUCKDB = (exp.DateDiff, exp.DateTrunc, exp.TimestampTrunc, exp.DatetimeTrunc)
WEEK_UNITS = (exp.DateTrunc, exp.TimestampTrunc, exp.DatetimeTrunc, exp.Extract, exp.LastDay)


def bigquery_sql_problems(sql: str) -> list[str]:
    """What in `sql` BigQuery would reject or answer differently from DuckDB: a parse error;
    a function BigQuery does not have (sqlglot parses it as anonymous: DuckDB's
    json_extract_string, strftime, epoch, list_*, ...) or a DuckDB spelling sqlglot accepts
    anyway; DuckDB-only syntax (`::` casts, `{...}` literals, `* exclude`, `using sample`);
    and weeks that do not start on Monday. DuckDB's weeks start on Monday (ISO) and BigQuery's
    bare WEEK on Sunday, so week truncation and week numbers must say WEEK(MONDAY) or ISOWEEK
    for both targets to agree. The BigQuery emulator runs DuckDB underneath and accepts
    DuckDB SQL, and answers WEEK(MONDAY) wrongly: this check covers both (docs/bigquery.md)."""
    try:
        trees = [tree for tree in sqlglot.parse(sql, read="bigquery", error_level=sqlglot.ErrorLevel.RAISE) if tree]
    except ParseError as error:
        return [f"parse error: {str(error)[:300]}"]
    problems = []
    for tree in trees:
        problems += [f"{function.name}(): not a BigQuery function" for function in tree.find_all(exp.Anonymous)]
        problems += [
            f"{function.key}('unit', ...): DuckDB's argument order"
            for function in tree.find_all(*UNIT_FIRST_IN_DUCKDB)
            if isinstance(function.this, exp.Literal) and function.this.is_string
        ]
        for function in tree.find_all(*WEEK_UNITS):
            unit = function.this if isinstance(function, exp.Extract) else function.args.get("unit")
            if unit is None:
                continue
            spelled = unit.sql(dialect="bigquery").upper()
            if "WEEK" in spelled and spelled not in ("WEEK(MONDAY)", "ISOWEEK", "'ISOWEEK'"):
                problems.append(f"{function.key} by {spelled}: weeks start on Monday on DuckDB, say WEEK(MONDAY)")
    tokens = sqlglot.tokenize(sql, read="bigquery")
    for previous, token, following in zip([None, *tokens[:-1]], tokens, [*tokens[1:], None], strict=True):
        text = token.text.lower()
        if token.token_type == TokenType.DCOLON:
            problems.append(":: cast: DuckDB syntax, say cast(... as ...)")
        elif token.token_type == TokenType.L_BRACE:
            problems.append("{...} literal: DuckDB syntax")
        elif previous is not None and previous.token_type == TokenType.STAR and text == "exclude":
            problems.append("* exclude: DuckDB syntax, say * except")
        elif previous is not None and previous.text.lower() == "using" and text == "sample":
            problems.append("using sample: DuckDB syntax, say tablesample system")
        elif text in DUCKDB_SPELLINGS_SQLGLOT_ACCEPTS and following and following.token_type == TokenType.L_PAREN:
            problems.append(f"{text}(): not a BigQuery function")
    return problems


def test_compiled_sql_is_bigquery_sql(compiled):
    """Every compiled model and test parses as BigQuery SQL, with BigQuery's functions only
    and Monday weeks (bigquery_sql_problems)."""
    problems = {unique_id: bigquery_sql_problems(sql) for unique_id, sql in compiled_models(compiled).items()}
    problems = {unique_id: found for unique_id, found in problems.items() if found}
    assert not problems, json.dumps(problems, indent=1)


@pytest.mark.parametrize(
    "broken_sql",
    [
        # parse errors
        "select a from t where (",
        "select a, from where",
        "select a from t qualify",
        # DuckDB-only functions and spellings
        "select json_extract_string(payload, '$.id') from t",
        "select strftime(created_at, '%Y-%m') from t",
        "select list_filter(items, x -> x > 1) from t",
        "select epoch(created_at) from t",
        "select len(name) from t",
        "select date_diff('day', started_at, ended_at) from t",
        "select date_trunc('month', created_at) from t",
        "select bool_or(is_gift) from t",
        "select arg_max(order_id, created_at) from t",
        # DuckDB-only syntax
        "select amount::decimal(38, 9) from t",
        "select * exclude (payload) from t",
        "select {'a': 1} as s from t",
        "select * from t using sample 10%",
        # weeks that do not start on Monday
        "select date_trunc(order_date, week) from t",
        "select date_trunc(order_date, week(sunday)) from t",
        "select timestamp_trunc(created_at, week(tuesday)) from t",
        "select extract(week from order_date) from t",
    ],
)
def test_the_bigquery_check_catches_sql_bigquery_would_reject_or_answer_differently(broken_sql):
    """A model compiled to any of these fails test_compiled_sql_is_bigquery_sql."""
    assert bigquery_sql_problems(broken_sql), broken_sql


def test_the_bigquery_check_passes_bigquery_sql():
    sql = (
        "select json_value(payload, '$.id'), format_date('%Y-%m', d), date_diff(b, a, day), "
        "cast(amount as numeric), length(name), timestamp_seconds(epoch), logical_or(is_gift), "
        "date_trunc(d, month), date_trunc(d, week(monday)), date_trunc(d, isoweek), "
        "timestamp_trunc(t, week(monday)), extract(isoweek from d), extract(week(monday) from d), "
        "* except (payload) from t, unnest(items) as item with offset as o"
    )
    assert bigquery_sql_problems(sql) == []


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


def large_models(manifest: dict) -> dict[str, dict]:
    """The models BigQuery stores that grow with the shop's history: every fact and mart table,
    every dimension, and every incremental model (staging and intermediate ones included).
    Views store nothing; the two full-rebuild intermediate tables (int_sales__customer_orders,
    int_sales__order_fees) are read whole by fct_orders on every run, so a partition would
    prune nothing."""
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and (node["name"].startswith(("fct_", "mart_", "dim_")) or node["config"]["materialized"] == "incremental")
    }


def test_large_bigquery_tables_are_partitioned_by_date_and_clustered_by_shop(compiled):
    """Every large model (large_models) records a date partition and a clustering that starts
    with shop_id on the bigquery target: a day's run and Looker Studio's date range scan only
    their partitions (the publish step clones marts, which keeps both). Dimensions have no
    date to filter on: clustered by shop only. Every reporting table is among them."""
    sys.path.insert(0, str(HELPER.parents[2] / "plugins"))
    from shop_analytics.publish import REPORTING_TABLES

    manifest = json.loads((compiled / "manifest.json").read_text())
    models = large_models(manifest)
    assert set(REPORTING_TABLES) <= set(models), set(REPORTING_TABLES) - set(models)
    assert any(node["name"].startswith("stg_") for node in models.values()), "no incremental staging model checked"
    offenders = {}
    for name, node in sorted(models.items()):
        config = node["config"]
        cluster_by = config.get("cluster_by") or []
        if isinstance(cluster_by, str):
            cluster_by = [cluster_by]
        partition_by = config.get("partition_by") or {}
        problems = []
        if not cluster_by or cluster_by[0] != "shop_id":
            problems.append(f"clustered by {cluster_by}, not shop first")
        if not name.startswith("dim_") and partition_by.get("data_type") != "date":
            problems.append(f"partition_by {partition_by or None}, not a date")
        if problems:
            offenders[name] = problems
    assert offenders == {}, f"large models without a date partition or a shop cluster on BigQuery: {offenders}"


def test_the_largest_fact_tables_require_a_partition_filter(compiled):
    """Orders and order items grow with every order: a reader scanning all of either is a mistake."""
    manifest = json.loads((compiled / "manifest.json").read_text())
    configs = {node["name"]: node["config"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    assert configs["fct_orders"]["require_partition_filter"] is True
    assert configs["fct_order_items"]["require_partition_filter"] is True


def reads_without_partition_filter(sql: str, table: tuple[str, str, str], partition_column: str) -> int:
    """How many times `sql` reads `table` (project, dataset, table) from a SELECT whose WHERE
    does not name `partition_column`: BigQuery refuses such a query when the table requires
    a partition filter (a filter in a join's ON clause does not count)."""
    unfiltered = 0
    for tree in sqlglot.parse(sql, read="bigquery"):
        if tree is None:
            continue
        for reference in tree.find_all(exp.Table):
            if (reference.catalog, reference.db, reference.name) != table:
                continue
            select = reference.parent_select
            where = select.args.get("where") if select is not None else None
            if where is None or partition_column not in {column.name for column in where.find_all(exp.Column)}:
                unfiltered += 1
    return unfiltered


def test_every_reader_of_a_table_requiring_a_partition_filter_filters_it(compiled):
    """BigQuery fails a query that reads a require_partition_filter table without a filter on
    its partition column; the emulator does not enforce it (docs/bigquery.md), so every
    compiled model and test, on the first build and the incremental run, is checked here."""
    manifest = json.loads((compiled / "manifest.json").read_text())
    guarded = {
        (node["database"], node["schema"], node["alias"]): node["config"]["partition_by"]["field"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("require_partition_filter")
    }
    assert guarded, "no model requires a partition filter"
    offenders = {
        f"{unique_id} reads {'.'.join(table)}": count
        for unique_id, sql in compiled_models(compiled).items()
        for table, column in guarded.items()
        if (count := reads_without_partition_filter(sql, table, column))
    }
    assert offenders == {}, f"reads BigQuery would refuse (no filter on the partition column): {offenders}"


@pytest.mark.parametrize(
    ("sql", "unfiltered"),
    [
        ("select * from `p`.`marts`.`fct_orders`", 1),
        ("select * from `p`.`marts`.`fct_orders` where shop_id = '1'", 1),
        ("select * from `p`.`marts`.`fct_orders` o join x on o.order_date = x.d", 1),
        ("select * from (select * from `p`.`marts`.`fct_orders` where order_date >= date '1900-01-01')", 0),
        ("select * from `p`.`marts`.`fct_orders` where order_date >= '2026-01-01' and shop_id = '1'", 0),
        ("select * from `p`.`marts`.`fct_sales_daily`", 0),
    ],
)
def test_the_partition_filter_check_sees_an_unfiltered_read(sql, unfiltered):
    assert reads_without_partition_filter(sql, ("p", "marts", "fct_orders"), "order_date") == unfiltered


@pytest.mark.parametrize("compiled", ["incremental_run"], indirect=True)
def test_a_daily_run_reads_its_large_inputs_pruned_by_a_constant(compiled):
    """Issue #20: a daily run reads only what is new. Every read of a large relation (raw
    Etsy tables, the change indexes, Etsy staging, the sales intermediates, the facts) by an
    incremental model, in its SQL or in a query it runs while compiling (run_query: the
    lookup of the days it rebuilds), filters the relation's partition column with
    constants: BigQuery prunes on nothing else. The offline compile answers each lookup
    with one day, so the SQL is a day's real shape."""
    manifest = json.loads((compiled / "manifest.json").read_text())
    lookups = run_queries(compiled)
    relations = large_relations(manifest)
    incremental_models = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    ]
    daily_reads = {
        (node["name"], relation, index > 0, filtered)
        for node in incremental_models
        for index, sql in enumerate((node["compiled_code"], *lookups.get(node["unique_id"], [])))
        for relation, filtered in reads(sql, relations)
    }
    change_index_lookups = {
        model for model, relation, is_lookup, _ in daily_reads if is_lookup and relation.endswith("_changes")
    }
    looking_up_nothing = {node["name"] for node in incremental_models} - change_index_lookups
    assert looking_up_nothing == set(), "incremental models that do not look up their days in a change index"
    unpruned = {(model, relation) for model, relation, _, filtered in daily_reads if filtered != "constant"}
    assert unpruned == set(), "reads a daily run makes of a large relation without a constant partition filter"
    # A view hides the table it reads: one over raw or a large model, read on a daily run,
    # would scan it whole unseen by the check above.
    views = {
        node["alias"]: node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "view"
    }
    views_read = {
        (node["name"], views[table.name])
        for node in incremental_models
        for sql in (node["compiled_code"], *lookups.get(node["unique_id"], []))
        for table in sqlglot.parse_one(sql, read="bigquery").find_all(exp.Table)
        if table.db and table.name in views and table.name not in relations
    }
    assert views_read == set(), "views a daily run reads whole (make them incremental or read their table)"
