"""Column documentation, checked against the warehouse: the columns of the built DuckDB tables
and views are the truth. A column the yml does not describe and a yml column the model does
not have both count as undocumented. Marts (reporting included) are described in full,
staging at least 95 %; each metric column says what its doc block (the one definition
docs/metrics.md points to) says, down to the comment persisted in `reporting`.

Reads the session's published build (tests/conftest.py), shared with the dashboard tests.
"""

from __future__ import annotations

import json

from shop_analytics.publish import REPORTING_SCHEMA, REPORTING_TABLES

# Minimum share of described columns per layer (models/<layer>/...).
REQUIRED_COVERAGE = {"marts": 1.0, "staging": 0.95}
# BigQuery's limits (TableFieldSchema.description, Table.description): a longer description
# fails persist_docs and the publish step on BigQuery only, never on DuckDB.
BIGQUERY_MAX_COLUMN_DESCRIPTION = 1024
BIGQUERY_MAX_TABLE_DESCRIPTION = 16384
# Doc blocks that define a metric column, by prefix: <prefix><column name>.
METRIC_BLOCK_PREFIXES = ("metric_", "traffic_", "instagram_")
# A column whose metric has its own block in one table: GA4's channel report counts engaged
# sessions itself (engagedSessions), the other reports derive them from the bounce rate.
METRIC_BLOCK_OVERRIDES = {
    ("fct_channel_performance_daily", "engaged_sessions"): "traffic_engaged_sessions_channel",
    ("fct_instagram_funnel_daily", "engaged_sessions"): "traffic_engaged_sessions_channel",
}


def manifest(project) -> dict:
    return json.loads((project.target_path / "manifest.json").read_text())


def model_nodes(project) -> dict[str, dict]:
    return {node["name"]: node for node in manifest(project)["nodes"].values() if node["resource_type"] == "model"}


def warehouse_columns(project) -> dict[tuple[str, str], list[str]]:
    """(schema, table or view) -> its columns, as built."""
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in project.query(
        "select schema_name, table_name, column_name from duckdb_columns() "
        "where database_name = current_database() order by column_index"
    ):
        columns.setdefault((schema, table), []).append(column)
    return columns


def column_documentation(project) -> dict[str, dict]:
    """layer -> {described, total, undescribed: [model.column], unknown: [model.column]}."""
    built = warehouse_columns(project)
    layers: dict[str, dict] = {}
    for name, node in sorted(model_nodes(project).items()):
        layer = node["original_file_path"].split("/")[1]
        columns = built.get((node["schema"], node["alias"]))
        assert columns is not None, f"{node['schema']}.{node['alias']} ({name}) was not built"
        described = {column for column, spec in node["columns"].items() if spec.get("description", "").strip()}
        counts = layers.setdefault(layer, {"described": 0, "total": 0, "undescribed": [], "unknown": []})
        counts["total"] += len(columns)
        counts["described"] += sum(column in described for column in columns)
        counts["undescribed"] += [f"{name}.{column}" for column in columns if column not in described]
        counts["unknown"] += [f"{name}.{column}" for column in node["columns"] if column not in columns]
    return layers


def test_marts_are_fully_and_staging_nearly_fully_described(published_reporting):
    layers = column_documentation(published_reporting)
    report = "\n".join(
        f"{layer}: {counts['described']} of {counts['total']} described; "
        f"undescribed {counts['undescribed']}; in the yml but not in the model {counts['unknown']}"
        for layer, counts in layers.items()
    )
    print(report)
    for layer, required in REQUIRED_COVERAGE.items():
        counts = layers[layer]
        assert counts["described"] / counts["total"] >= required, (
            f"{layer}: describe these columns in the models' yml (at least {required:.0%}):\n{report}"
        )
    unknown = {layer: counts["unknown"] for layer, counts in layers.items() if counts["unknown"]}
    assert not unknown, f"the yml lists columns the models do not have: remove or rename them: {unknown}"


def metric_blocks(project) -> dict[str, str]:
    return {
        block["name"]: block["block_contents"].strip()
        for block in manifest(project)["docs"].values()
        if block["name"].startswith(METRIC_BLOCK_PREFIXES)
    }


def metric_block_of(blocks: dict[str, str], table: str, column: str) -> str | None:
    override = METRIC_BLOCK_OVERRIDES.get((table, column))
    if override:
        return override
    return next((prefix + column for prefix in METRIC_BLOCK_PREFIXES if prefix + column in blocks), None)


def test_every_metric_column_of_reporting_says_what_its_doc_block_says(published_reporting):
    """The description persisted to `reporting` starts with the metric's doc block, word for
    word (a table may add its own qualifier after it, such as the currency it is in)."""
    blocks = metric_blocks(published_reporting)
    comments = {
        (table, column): comment or ""
        for table, column, comment in published_reporting.query(
            "select table_name, column_name, comment from duckdb_columns() where schema_name = ?",
            [REPORTING_SCHEMA],
        )
    }
    checked, disagreeing = 0, {}
    for (table, column), comment in comments.items():
        block = metric_block_of(blocks, table, column)
        if block is None:
            continue
        checked += 1
        if not comment.startswith(blocks[block]):
            disagreeing[f"{table}.{column}"] = f"use {{{{ doc('{block}') }}}}; published: {comment[:120]!r}"
    assert {table for table, _ in comments} == set(REPORTING_TABLES)
    assert checked >= 100, f"only {checked} metric columns: are the doc blocks still named {METRIC_BLOCK_PREFIXES}?"
    assert not disagreeing, json.dumps(disagreeing, indent=1)


def test_every_reporting_column_carries_its_description_in_the_warehouse(published_reporting):
    """Looker Studio shows the warehouse's column descriptions: after the publish, every column
    of every `reporting` table has a non-empty comment (DuckDB's COMMENT ON COLUMN)."""
    published = published_reporting.query(
        "select table_name, column_name, coalesce(comment, '') from duckdb_columns() where schema_name = ?",
        [REPORTING_SCHEMA],
    )
    assert {table for table, _, _ in published} == set(REPORTING_TABLES)
    uncommented = [f"{table}.{column}" for table, column, comment in published if not comment.strip()]
    assert not uncommented, f"reporting columns without a description in the warehouse: {uncommented}"


def test_descriptions_fit_bigquerys_limits(published_reporting):
    too_long = {}
    for name, node in model_nodes(published_reporting).items():
        if len(node["description"]) > BIGQUERY_MAX_TABLE_DESCRIPTION:
            too_long[name] = len(node["description"])
        for column, spec in node["columns"].items():
            if len(spec.get("description", "")) > BIGQUERY_MAX_COLUMN_DESCRIPTION:
                too_long[f"{name}.{column}"] = len(spec["description"])
    assert not too_long, (
        f"descriptions longer than BigQuery accepts ({BIGQUERY_MAX_COLUMN_DESCRIPTION} characters a column, "
        f"{BIGQUERY_MAX_TABLE_DESCRIPTION} a table): shorten them: {too_long}"
    )
