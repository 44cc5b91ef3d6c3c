"""Compile the dbt project for the `bigquery` target with no GCP credentials or network.

`dbt compile` on BigQuery opens a connection (oauth looks up application default
credentials) and, for incremental models, asks BigQuery whether the table exists. Here the
connection is a stand-in that never talks to Google and the existence check answers from
`--existing`: compile once with every relation absent (full-build SQL) and once with every
relation present (the incremental branches). A query run while compiling (run_query: an
incremental model's lookup of the days it rebuilds) answers one day, the window's start, as
on a day with new data. Run as a script, so the patches stay in its own process:

    python tests/dbt/bigquery_offline_compile.py TARGET_PATH [--existing] [--without-pepper MODEL]

--without-pepper compiles MODEL alone with no customer_id pepper set, as a Composer
environment missing its secret would.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
import threading
from pathlib import Path

from dbt.adapters.bigquery.connections import BigQueryAdapterResponse, BigQueryConnectionManager
from dbt.adapters.bigquery.impl import BigQueryAdapter
from dbt.adapters.contracts.connection import ConnectionState
from dbt.cli.main import dbtRunner
from dbt_common.clients import agate_helper

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "include" / "dbt"


class OfflineHandle:
    def close(self) -> None:
        pass


def open_offline(cls, connection):
    connection.handle = OfflineHandle()
    connection.state = ConnectionState.OPEN
    return connection


# Where the queries run while compiling are recorded, one JSON object a line (node_id, sql):
# bench/daily_read_pruning.py (its RUN_QUERIES_FILE) counts their reads beside the models' own.
RUN_QUERIES_FILE = "run_queries.jsonl"


# A pepper for the offline compile only: test_bigquery_compile recomputes its HMAC pads.
OFFLINE_COMPILE_PEPPER = "00112233445566778899aabbccddeeff"
# The day a run_query lookup answers when no window is set (a compile of the default window).
OFFLINE_CHANGED_DAY = "2026-01-03"


def offline_dbt_options(target_path: Path) -> list[str]:
    """The options every offline dbt invocation takes: this project, no warehouse cache, its own target."""
    return [
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--no-populate-cache",
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path / "logs"),
        "--quiet",
    ]


def compile_offline(target_path: Path, relations_exist: bool, without_pepper_model: str | None = None) -> bool:
    BigQueryConnectionManager.open = classmethod(open_offline)
    run_queries_path = target_path.resolve() / RUN_QUERIES_FILE
    run_queries_lock = threading.Lock()

    def execute_offline(self, sql, auto_begin=False, fetch=None, limit=None):
        """A query run while compiling (run_query: the days an incremental model rebuilds)
        answers the window's first day, as on a day with new data; it is recorded."""
        node_id = re.search(r'"node_id": "([^"]+)"', self._add_query_comment(sql))
        with run_queries_lock, run_queries_path.open("a") as run_queries:
            run_queries.write(json.dumps({"node_id": node_id and node_id.group(1), "sql": sql}) + "\n")
        changed_day = dt.date.fromisoformat(os.environ.get("SHOP_ANALYTICS_START_DATE") or OFFLINE_CHANGED_DAY)
        return BigQueryAdapterResponse(_message="offline: one day"), agate_helper.table_from_rows(
            [[changed_day]], ["changed_day"]
        )

    BigQueryConnectionManager.execute = execute_offline

    def get_relation(self, database, schema, identifier, **_):
        if not relations_exist:
            return None
        return self.Relation.create(database=database, schema=schema, identifier=identifier, type="table")

    BigQueryAdapter.get_relation = get_relation
    os.environ["DBT_TARGET"] = "bigquery"
    # BigQuery refuses to compile customer_id without a pepper (macros/cross_db/hmac.sql).
    if without_pepper_model:
        os.environ.pop("SHOP_ANALYTICS_CUSTOMER_ID_PEPPER", None)
    else:
        os.environ["SHOP_ANALYTICS_CUSTOMER_ID_PEPPER"] = OFFLINE_COMPILE_PEPPER
    os.chdir(DBT_PROJECT_DIR)
    selection = ["--select", without_pepper_model] if without_pepper_model else []
    result = dbtRunner().invoke(
        [
            "compile",
            *selection,
            *offline_dbt_options(target_path),
            # Unit tests read their parents' columns from the warehouse (get_fixture_sql), which
            # an offline compile cannot; the models they test are compiled here all the same.
            "--exclude",
            "resource_type:unit_test",
        ]
    )
    if not result.success:
        print(f"dbt compile failed: {result.exception}", file=sys.stderr)
    return result.success


if __name__ == "__main__":
    options = sys.argv[2:]
    without_pepper_model = options[options.index("--without-pepper") + 1] if "--without-pepper" in options else None
    sys.exit(0 if compile_offline(Path(sys.argv[1]), "--existing" in options, without_pepper_model) else 1)
