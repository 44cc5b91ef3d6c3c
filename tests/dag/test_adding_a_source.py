"""A new source is configuration, not code (docs/adding-a-source.md).

Registers a fourth source (Pinterest) the way the guide says — an entry in a copy of
sources.yaml, a dbt sources yml and a staging model in a copy of the dbt project — and
loads the unchanged DAG file against them: the DAG grows the source's extract group, its
freshness task and its staging model's task, wired like the other sources.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import yaml

from shop_analytics.config import REPO_ROOT
from shop_analytics.config.sources import SOURCES_FILE

PINTEREST_ENTRY = {
    "description": "Pinterest API v5 via Airbyte source-pinterest.",
    "raw_schema": "raw_pinterest",
    "airbyte_connection_id": "2b0e7c4e-0000-4000-8000-00000000b175",
    "freshness": {"warn_after_hours": 30, "error_after_hours": 54},
    "streams": {
        "pins": {"sync_mode": "full_refresh_overwrite", "primary_key": ["id"], "schema_ref": "pinterest.json#Pin"},
    },
}

PINTEREST_SOURCES_YML = """\
version: 2
sources:
  - name: pinterest
    description: Pinterest API v5 via Airbyte source-pinterest (Destinations V2).
    schema: raw_pinterest
    config:
      loaded_at_field: _airbyte_extracted_at
      freshness:
        warn_after: {count: 30, period: hour}
        error_after: {count: 54, period: hour}
    tables:
      - name: pins
        description: The account's pins (full refresh overwrite, primary key id).
models:
  - name: stg_pinterest__pins
    description: One row per pin.
    columns:
      - name: pin_id
        description: Pinterest's pin id.
        data_tests: [unique, not_null]
"""

PINTEREST_STAGING_SQL = """\
with source as (
    select * from {{ source('pinterest', 'pins') }}
),

final as (
    select cast(id as {{ dbt.type_string() }}) as pin_id
    from source
)

select * from final
"""

LIST_TASKS = textwrap.dedent(
    """
    import json, sys
    from airflow.dag_processing.dagbag import DagBag
    bag = DagBag(dag_folder=sys.argv[1], include_examples=False)
    dag = bag.dags["etsy_shop_analytics"]
    print(json.dumps({
        "errors": {k: str(v) for k, v in bag.import_errors.items()},
        "downstream": {t.task_id: sorted(t.downstream_task_ids) for t in dag.tasks},
        "source_param": dag.params["sources"] if "sources" in dag.params else None,
    }, default=str))
    """
)


def test_a_fourth_source_grows_the_dag_with_no_code_change(tmp_path):
    sources = yaml.safe_load(SOURCES_FILE.read_text())
    sources["sources"]["pinterest"] = PINTEREST_ENTRY
    sources_file = tmp_path / "sources.yaml"
    sources_file.write_text(yaml.safe_dump(sources, sort_keys=False))

    project = tmp_path / "dbt"
    shutil.copytree(
        REPO_ROOT / "include" / "dbt", project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    staging = project / "models" / "staging" / "pinterest"
    staging.mkdir()
    (staging / "_pinterest__sources.yml").write_text(PINTEREST_SOURCES_YML)
    (staging / "stg_pinterest__pins.sql").write_text(PINTEREST_STAGING_SQL)

    env = {
        **os.environ,
        "SHOP_ANALYTICS_SOURCES_FILE": str(sources_file),
        "SHOP_ANALYTICS_DBT_PROJECT_DIR": str(project),
        "SHOP_ANALYTICS_DBT_MANIFEST": str(project / "target" / "manifest.json"),
        "SHOP_ANALYTICS_DUCKDB_PATH": str(tmp_path / "unused.duckdb"),
    }
    dbt = REPO_ROOT / ".venv" / "bin" / "dbt"
    subprocess.run(
        [str(dbt), "parse", "--profiles-dir", ".", "--profile", "shop_analytics", "--target", "local", "--quiet"],
        cwd=project,
        env=env,
        check=True,
    )
    listed = subprocess.run(
        [sys.executable, "-c", LIST_TASKS, str(REPO_ROOT / "dags")],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    dag = json.loads(listed.stdout.strip().splitlines()[-1])

    assert dag["errors"] == {}
    downstream = dag["downstream"]
    extract_tasks = sorted(task for task in downstream if task.startswith("extract.pinterest."))
    assert extract_tasks, f"no extract group for the new source; extract tasks: {sorted(downstream)}"
    # the group's last task (the sensor) is the one with no successor inside the group
    (sensor,) = [t for t in extract_tasks if not any(d.startswith("extract.pinterest.") for d in downstream[t])]
    # The new source's sync gates its own dbt source task, as for the three others.
    assert "transform.sources.pinterest" in downstream[sensor]
    assert "transform.staging.pinterest.stg_pinterest__pins" in downstream["transform.sources.pinterest"]
    # and a manual run may select it
    assert "pinterest" in json.dumps(dag["source_param"])
