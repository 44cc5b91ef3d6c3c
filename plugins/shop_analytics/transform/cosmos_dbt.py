"""Render include/dbt as one Cosmos task group, built from a prebuilt manifest.

The manifest comes from `make manifest` (dbt parse) at build/deploy time, so parsing the
DAG never runs dbt. Execution mode WATCHER: one task (`dbt_producer_watcher`) runs a single
`dbt build` of the whole project, and every source table, seed and model (with its tests)
is its own watcher task reporting that node's outcome, so the graph reads like the project
at the speed of one dbt invocation (bench/README.md has the figures; DECISIONLOG "Orchestration" the decision).

Task groups mirror the project's folders: `transform.sources.<source>` (one task per
source, with the freshness check of each of its tables), `transform.seeds.<seed>`,
`transform.<layer>.<source or domain>.<model>` (staging.etsy, intermediate.sales,
marts.marketing...); see `shop_analytics.transform.rendering`.

Under a scheduler and a triggerer the watchers start beside the producer and defer until
their node reports (`shop_analytics.transform.watchers`): each model's task turns
running / success / failed while the build runs. Only the producer writes the warehouse
in the happy path, so only it takes the DuckDB pool's slot.

Sources are rendered as tasks: that is where each source's extract sensor is wired in.
Before building, the producer excludes every node built on a source whose sync did not
succeed, so a failed sync stops exactly the models downstream of that source; their
watcher tasks end `upstream_failed`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from airflow.sdk import TaskGroup
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import (
    PRODUCER_WATCHER_DONE_TASK_ID,
    PRODUCER_WATCHER_TASK_ID,
    ExecutionMode,
    InvocationMode,
    LoadMode,
    SourceRenderingBehavior,
    TestBehavior,
)

from shop_analytics.config import Settings
from shop_analytics.config.run_params import DBT_WINDOW_ENV, FULL_REFRESH
from shop_analytics.config.settings import CUSTOMER_ID_PEPPER_ENV
from shop_analytics.transform.cosmos_compat import use_producer_class
from shop_analytics.transform.producer import ResultsOnceProducer
from shop_analytics.transform.rendering import NodeWatcherConverter

DBT_PROFILE = "shop_analytics"

# dbt node statuses the producer pre-sets for nodes it leaves out of the build.
_SKIPPED = "skipped"
# Freshness results that fail a source's task (a warning builds).
_FRESHNESS_FAILURES = ("error", "runtime error")
# Set by the one-shot local runner (`airflow dags test`, standin.local_airflow), which runs a
# deferred task's trigger inline, one task at a time: there the watchers wait for the build.
INLINE_TRIGGERS_ENV = "SHOP_ANALYTICS_INLINE_TRIGGERS"


class LocalManifestProjectConfig(ProjectConfig):
    """ProjectConfig whose manifest is a local file, read as a plain Path.

    Stock ProjectConfig wraps every manifest path in an ObjectStoragePath, and opening one
    makes Airflow discover every provider's filesystem: with the google provider installed
    that imports its GCS hooks, 2.8 s of each DAG parse here. Our manifest always is a
    local file (on Composer, the bucket's mounted data/ folder), so a Path is exact.
    """

    def __init__(self, *, manifest_path: Path, **kwargs: Any) -> None:
        super().__init__(manifest_path=manifest_path, **kwargs)
        self.manifest_path = Path(manifest_path)


class ExcludeNodesOfUnbuildableSources:
    """The producer's freshness callback: what to leave out of the one `dbt build`.

    A source is unbuildable when its sync task did not succeed in this run, or when the
    freshness check of any of its tables errored (the source's one task then fails). Every
    node depending on such a source, directly or through other models, is excluded: the
    same set Airflow marks `upstream_failed` below the source's task, so dbt never builds
    what the graph says did not run. Freshness warnings build normally (Cosmos's default
    callback would skip on warnings, and only where all of a node's inputs are stale).
    """

    def __init__(self, sync_task_ids: Mapping[str, str]) -> None:
        self.sync_task_ids = dict(sync_task_ids)

    def __call__(self, context: Any, dag: Any, task_group: Any, nodes: Any, sources_json: Any) -> list[tuple[str, str]]:
        unbuildable = self.sources_with_failed_syncs(context) | {
            _source_name(result["unique_id"])
            for result in (sources_json or {}).get("results", [])
            if result.get("status") in _FRESHNESS_FAILURES
        }
        unbuildable_sources = {node_id for node_id in nodes or {} if _source_name(node_id) in unbuildable}
        return [(node_id, _SKIPPED) for node_id in downstream_nodes(nodes or {}, unbuildable_sources)]

    def sources_with_failed_syncs(self, context: Any) -> set[str]:
        run_id = context["run_id"]
        states = (
            context["ti"]
            .get_task_states(dag_id=context["ti"].dag_id, task_ids=list(self.sync_task_ids.values()), run_ids=[run_id])
            .get(run_id, {})
        )
        return {source for source, task_id in self.sync_task_ids.items() if states.get(task_id) != "success"}


def _source_name(node_id: str) -> str | None:
    """`source.<project>.<source>.<table>` -> `<source>`; None for other nodes."""
    parts = node_id.split(".")
    return parts[2] if parts[0] == "source" and len(parts) == 4 else None


def downstream_nodes(nodes: Mapping[str, Any], roots: set[str]) -> set[str]:
    """Models, seeds and snapshots depending on any of `roots`, transitively.

    Tests are left out: dbt skips a test whose model is excluded, and test ids are no
    valid `--exclude` selectors.
    """
    dependents: dict[str, set[str]] = {}
    for node_id, node in nodes.items():
        for parent in node.depends_on:
            dependents.setdefault(parent, set()).add(node_id)
    found: set[str] = set()
    frontier = list(roots)
    while frontier:
        for child in dependents.get(frontier.pop(), ()):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return {node_id for node_id in found if nodes[node_id].resource_type.value in ("model", "seed", "snapshot")}


def _profile_config(settings: Settings) -> ProfileConfig:
    if settings.dbt_target == "bigquery":
        from cosmos.profiles import GoogleCloudOauthProfileMapping

        return ProfileConfig(
            profile_name=DBT_PROFILE,
            target_name="bigquery",
            profile_mapping=GoogleCloudOauthProfileMapping(
                conn_id=settings.gcp_conn_id, profile_args={"threads": settings.dbt_threads}
            ),
        )
    return ProfileConfig(
        profile_name=DBT_PROFILE,
        target_name=settings.dbt_target,
        profiles_yml_filepath=settings.dbt_project_dir / "profiles.yml",
    )


def dbt_task_group(settings: Settings, sync_task_ids: Mapping[str, str], group_id: str = "transform") -> DbtTaskGroup:
    """The dbt project as a task group; `sync_task_ids` maps each source to its sync task's id."""
    if not settings.dbt_manifest_path.exists():
        raise FileNotFoundError(
            f"dbt manifest {settings.dbt_manifest_path} is missing: build it with `make manifest` "
            "(dbt parse) before parsing the DAG, and deploy it with the project (see composer/)."
        )
    # No retries on dbt tasks: a failing model or test is the data or the code, not a blip,
    # and a retried node task rebuilds its node alone (a failed run took 15+ minutes that
    # way). Fix, then clear the task or re-run the day.
    operator_args: dict[str, Any] = {"emit_datasets": False, "retries": 0}
    # The producer writes the warehouse: it alone takes the pool (one DuckDB writer). The
    # watchers only read XComs; the rare fallback rebuild of one takes the file's writer lock.
    producer_args: dict[str, Any] = {"pool": settings.dbt_pool} if settings.dbt_pool else {}
    render_config = RenderConfig(
        load_method=LoadMode.DBT_MANIFEST,
        # One task per model for the model and its tests, read from the one build.
        test_behavior=TestBehavior.BUILD,
        source_rendering_behavior=SourceRenderingBehavior.ALL,
    )
    render_config.node_converters = NodeWatcherConverter(render_config).node_converters()
    group = DbtTaskGroup(
        group_id=group_id,
        project_config=LocalManifestProjectConfig(
            dbt_project_path=settings.dbt_project_dir,
            manifest_path=settings.dbt_manifest_path,
            project_name=DBT_PROFILE,
            install_dbt_deps=False,
            # Operators' `env`, a templated field: the window renders per run.
            env_vars={
                "SHOP_ANALYTICS_DUCKDB_PATH": str(settings.duckdb_path),
                "DBT_TARGET": settings.dbt_target,
                "DBT_THREADS": str(settings.dbt_threads),
                # dbt's debug file log would land in Cosmos's temporary copy of the project,
                # deleted after the task (the task log has dbt's events); writing it, under a
                # lock shared by dbt's threads, took a quarter of the producer's CPU.
                "DBT_LOG_LEVEL_FILE": "none",
                **DBT_WINDOW_ENV,
                **CUSTOMER_ID_PEPPER_ENV,
            },
        ),
        profile_config=_profile_config(settings),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            invocation_mode=InvocationMode.DBT_RUNNER,
            setup_operator_args={
                "freshness_callback": ExcludeNodesOfUnbuildableSources(sync_task_ids),
                "full_refresh": FULL_REFRESH,
                **producer_args,
            },
        ),
        render_config=render_config,
        operator_args=operator_args,
    )
    # Cosmos picks the producer's class itself: ours is the stock one pushing its results once.
    producer = group.tasks_map[PRODUCER_WATCHER_TASK_ID]
    use_producer_class(producer, ResultsOnceProducer)
    producer.tests_per_model = tests_on_their_last_parents(
        producer.tests_per_model or {}, group.dbt_graph.filtered_nodes
    )
    if os.environ.get(INLINE_TRIGGERS_ENV):
        watchers_wait_for_the_build(group)
    return group


def tests_on_their_last_parents(
    tests_per_model: Mapping[str, list[str]], nodes: Mapping[str, Any]
) -> dict[str, list[str]]:
    """Each test under the parents it reads that no other of its parents is built on.

    Cosmos lists a test under every node it reads, so the seed `shop_accounts` would carry
    the relationships test of every Etsy staging model pointing at it: its task (and every
    staging task waiting on it) would wait for those models to be built and tested, to the
    end of the build. A test reading a node and one built on it is the later node's test, as
    dbt attaches it; tests of unrelated parents stay under each.
    """
    ancestors: dict[str, set[str]] = {}

    def ancestors_of(node_id: str) -> set[str]:
        if node_id not in ancestors:
            ancestors[node_id] = set()
            node = nodes.get(node_id)
            for parent in getattr(node, "depends_on", None) or ():
                ancestors[node_id] |= {parent} | ancestors_of(parent)
        return ancestors[node_id]

    parents_of: dict[str, list[str]] = {}
    for parent, tests in tests_per_model.items():
        for test in tests:
            parents_of.setdefault(test, []).append(parent)

    def folder(node_id: str) -> PurePosixPath | None:
        node = nodes.get(node_id)
        return PurePosixPath(str(node.original_file_path)).parent if node is not None else None

    attached: dict[str, list[str]] = {parent: [] for parent in tests_per_model}
    for test, parents in parents_of.items():
        last = [parent for parent in parents if not any(parent in ancestors_of(other) for other in parents)]
        defining = [parent for parent in last if folder(parent) == folder(test)]
        for parent in defining or last:
            attached[parent].append(test)
    return attached


def watchers_wait_for_the_build(group: DbtTaskGroup) -> None:
    """Start the watcher tasks once the producer has ended, whatever its state: only for
    `airflow dags test` (INLINE_TRIGGERS_ENV).

    That runner runs a deferred task's trigger inline, so a watcher picked before the
    producer would wait for a build that never starts. Behind the producer's gate (made
    `all_done`), every watcher reads its node's result at once, and a failed model fails
    its own task rather than hiding behind the failed producer. A scheduler and triggerer
    need no gate: the watchers defer beside the running build.
    """
    producer = group.tasks_map[PRODUCER_WATCHER_TASK_ID]
    gate = group.tasks_map[PRODUCER_WATCHER_DONE_TASK_ID]
    gate.trigger_rule = "all_done"
    group_task_ids = {task.task_id for task in group}
    for task in group:
        if task in (producer, gate):
            continue
        if not task.upstream_task_ids & group_task_ids:
            gate >> task


def source_tasks(group: DbtTaskGroup, source_name: str) -> list[TaskGroup | Any]:
    """The rendered task of one dbt source (every table of it maps to that task), to hang the source's extract on."""
    prefix = f"source.{DBT_PROFILE}.{source_name}."
    tasks = list({id(task): task for node_id, task in group.tasks_map.items() if node_id.startswith(prefix)}.values())
    if not tasks:
        raise LookupError(
            f"the dbt project declares no source {source_name!r} (looked for nodes {prefix}*): "
            "add models/staging/<source>/_<source>__sources.yml or remove the source from sources.yaml"
        )
    return tasks
