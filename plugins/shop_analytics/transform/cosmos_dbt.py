"""Render include/dbt as one Cosmos task group, built from a prebuilt manifest.

The manifest comes from `make manifest` (dbt parse) at build/deploy time, so parsing the
DAG never runs dbt. Sources are rendered as tasks (with their freshness checks), which is
where each source's extract sensor is wired in: a failed sync then stops exactly the
models downstream of that source.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import TaskGroup
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import InvocationMode, LoadMode, SourceRenderingBehavior, TestBehavior

from shop_analytics.config import Settings

DBT_PROFILE = "shop_analytics"

# dbt vars derived from the run's data interval: a backfill rebuilds exactly its days.
DATA_INTERVAL_VARS = {
    "start_date": "{{ data_interval_start.strftime('%Y-%m-%d') }}",
    "end_date": "{{ data_interval_end.strftime('%Y-%m-%d') }}",
}


def _profile_config(settings: Settings) -> ProfileConfig:
    if settings.dbt_target == "bigquery":
        from cosmos.profiles import GoogleCloudOauthProfileMapping

        return ProfileConfig(
            profile_name=DBT_PROFILE,
            target_name="bigquery",
            profile_mapping=GoogleCloudOauthProfileMapping(conn_id=settings.gcp_conn_id),
        )
    return ProfileConfig(
        profile_name=DBT_PROFILE,
        target_name=settings.dbt_target,
        profiles_yml_filepath=settings.dbt_project_dir / "profiles.yml",
    )


def dbt_task_group(settings: Settings, group_id: str = "transform", **task_group_kwargs: Any) -> DbtTaskGroup:
    if not settings.dbt_manifest_path.exists():
        raise FileNotFoundError(
            f"dbt manifest {settings.dbt_manifest_path} is missing: build it with `make manifest` "
            "(dbt parse) before parsing the DAG, and deploy it with the project (see composer/)."
        )
    return DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=settings.dbt_project_dir,
            manifest_path=settings.dbt_manifest_path,
            project_name=DBT_PROFILE,
            env_vars={"SHOP_ANALYTICS_DUCKDB_PATH": str(settings.duckdb_path), "DBT_TARGET": settings.dbt_target},
        ),
        profile_config=_profile_config(settings),
        execution_config=ExecutionConfig(invocation_mode=InvocationMode.DBT_RUNNER),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.AFTER_EACH,
            source_rendering_behavior=SourceRenderingBehavior.ALL,
            # A relationships test needs both its models: run it once both are built.
            should_detach_multiple_parents_tests=True,
        ),
        operator_args={"vars": DATA_INTERVAL_VARS, "install_deps": False},
        **task_group_kwargs,
    )


def source_tasks(group: DbtTaskGroup, source_name: str) -> list[TaskGroup | Any]:
    """The rendered tasks of one dbt source (all its tables), to hang the source's extract on."""
    prefix = f"source.{DBT_PROFILE}.{source_name}."
    tasks = [task for node_id, task in group.tasks_map.items() if node_id.startswith(prefix)]
    if not tasks:
        raise LookupError(
            f"the dbt project declares no source {source_name!r} (looked for nodes {prefix}*): "
            "add models/staging/<source>/_<source>__sources.yml or remove the source from sources.yaml"
        )
    return tasks
