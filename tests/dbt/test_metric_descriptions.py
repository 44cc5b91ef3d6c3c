"""A metric is defined once: each metric column of the reporting tables says what its doc block
(the definition docs/metrics.md gives) says, down to the comment persisted in `reporting`; and
every description fits what BigQuery accepts. Column coverage itself: test_column_docs.py.

Reads the session's published build (tests/conftest.py), shared with the dashboard tests.
"""

from __future__ import annotations

import json

from shop_analytics.publish import REPORTING_SCHEMA, REPORTING_TABLES

# Doc blocks that define a metric column, by prefix: <prefix><column name>.
METRIC_BLOCK_PREFIXES = ("metric_", "traffic_", "instagram_")
# A column whose metric has its own block in one table: GA4's channel report counts engaged
# sessions itself (engagedSessions), the other reports derive them from the bounce rate.
METRIC_BLOCK_OVERRIDES = {
    ("fct_channel_performance_daily", "engaged_sessions"): "traffic_engaged_sessions_channel",
    ("fct_instagram_funnel_daily", "engaged_sessions"): "traffic_engaged_sessions_channel",
}
# BigQuery's limits (TableFieldSchema.description, Table.description): a longer description
# fails persist_docs and the publish step on BigQuery only, never on DuckDB.
BIGQUERY_MAX_COLUMN_DESCRIPTION = 1024
BIGQUERY_MAX_TABLE_DESCRIPTION = 16384


def manifest(project) -> dict:
    return json.loads((project.target_path / "manifest.json").read_text())


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
    word (a table may add its own qualifier after it, such as the rows it counts)."""
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


def test_descriptions_fit_bigquerys_limits(published_reporting):
    too_long = {}
    for node in manifest(published_reporting)["nodes"].values():
        if node["resource_type"] != "model":
            continue
        if len(node["description"]) > BIGQUERY_MAX_TABLE_DESCRIPTION:
            too_long[node["name"]] = len(node["description"])
        for column, spec in node["columns"].items():
            if len(spec.get("description", "")) > BIGQUERY_MAX_COLUMN_DESCRIPTION:
                too_long[f"{node['name']}.{column}"] = len(spec["description"])
    assert not too_long, (
        f"descriptions longer than BigQuery accepts ({BIGQUERY_MAX_COLUMN_DESCRIPTION} characters a column, "
        f"{BIGQUERY_MAX_TABLE_DESCRIPTION} a table): shorten them: {too_long}"
    )
