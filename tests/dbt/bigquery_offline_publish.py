"""Run the publish operation for the `bigquery` target with no GCP credentials or network:
every mart is taken to exist, and what the operation would send to BigQuery is recorded
instead (its SQL statements, the table and column descriptions it sets) and written to
TARGET_PATH/publish_calls.json. Run as a script, so the patches stay in its own process:

    python tests/dbt/bigquery_offline_publish.py TARGET_PATH PUBLISH_ARGS_JSON
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from bigquery_offline_compile import DBT_PROJECT_DIR, OFFLINE_COMPILE_PEPPER, offline_dbt_options, open_offline
from dbt.adapters.bigquery.connections import BigQueryAdapterResponse, BigQueryConnectionManager
from dbt.adapters.bigquery.impl import BigQueryAdapter
from dbt.cli.main import dbtRunner
from dbt_common.clients import agate_helper


def publish_offline(target_path: Path, publish_args: str) -> bool:
    """`dbt run-operation publish_reporting_tables` on BigQuery with every mart present: the
    statements and metadata updates are recorded instead of sent."""
    calls: dict[str, list] = {"statements": [], "table_descriptions": [], "column_descriptions": []}
    BigQueryConnectionManager.open = classmethod(open_offline)
    BigQueryAdapter.get_relation = lambda self, database, schema, identifier, **_: self.Relation.create(
        database=database, schema=schema, identifier=identifier, type="table"
    )
    BigQueryAdapter.create_schema = lambda self, relation: None

    def execute(self, sql, auto_begin=False, fetch=None, limit=None):
        calls["statements"].append(sql)
        return BigQueryAdapterResponse(_message="OK"), agate_helper.empty_table()

    def update_table_description(self, database, schema, identifier, description):
        calls["table_descriptions"].append({"schema": schema, "table": identifier, "description": description})

    def update_columns(self, relation, columns):
        calls["column_descriptions"].append(
            {
                "schema": relation.schema,
                "table": relation.identifier,
                "columns": {name: column["description"] for name, column in columns.items()},
            }
        )

    BigQueryConnectionManager.execute = execute
    BigQueryAdapter.update_table_description = update_table_description
    BigQueryAdapter.update_columns = update_columns
    os.environ["DBT_TARGET"] = "bigquery"
    os.environ["SHOP_ANALYTICS_CUSTOMER_ID_PEPPER"] = OFFLINE_COMPILE_PEPPER
    os.chdir(DBT_PROJECT_DIR)
    result = dbtRunner().invoke(
        [
            "run-operation",
            "publish_reporting_tables",
            "--args",
            publish_args,
            *offline_dbt_options(target_path),
        ]
    )
    if not result.success:
        print(f"dbt run-operation failed: {result.exception}", file=sys.stderr)
    (target_path / "publish_calls.json").write_text(json.dumps(calls))
    return result.success


if __name__ == "__main__":
    sys.exit(0 if publish_offline(Path(sys.argv[1]), sys.argv[2]) else 1)
