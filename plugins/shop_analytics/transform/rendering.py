"""Rendering: each dbt node as one watcher task, in groups mirroring the project's folders.

Nodes are rendered by `NodeWatcherConverter` (Cosmos's `RenderConfig.node_converters`):
- a model or seed is one task, `<layer>.<source or domain>.<model>` (`seeds.<seed>`),
  reporting the node and its own tests from the one `dbt build` (TestBehavior.BUILD: a
  failing test fails its model's task, naming the test; stock Cosmos refuses BUILD in
  WATCHER mode because its build operator would run dbt again, ours only reads);
- a source is one task, `sources.<source>`: one Airbyte sync, one task reporting the
  freshness check of each of its tables (a table past its error threshold fails it,
  named, and the producer leaves out everything built on the source);
- the tasks sit in groups mirroring the project: `sources`, `seeds`,
  `<layer>/<source or domain>` from the model's folder (`task_group_path`).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from airflow.sdk import TaskGroup
from cosmos.airflow.compatibility import EMPTY_OPERATOR_CLASS_PATH
from cosmos.airflow.graph import create_task_metadata
from cosmos.config import RenderConfig
from cosmos.constants import DbtResourceType, ExecutionMode, TestIndirectSelection
from cosmos.dbt.graph import DbtNode

from shop_analytics.transform.producer import source_id
from shop_analytics.transform.watchers import NodeBuildWatcher, SourceFreshnessWatcher

SOURCES_GROUP = "sources"
SEEDS_GROUP = "seeds"


def task_group_path(node: DbtNode) -> tuple[str, ...]:
    """Where a node sits in the graph: `sources`, `seeds`, or `<layer>/<source or domain>`.

    Models follow their folder under models/ to two levels (models/staging/etsy/base/x.sql
    sits in staging/etsy), so the graph reads like the project's architecture.
    """
    if node.resource_type == DbtResourceType.SOURCE:
        return (SOURCES_GROUP,)
    if node.resource_type == DbtResourceType.SEED:
        return (SEEDS_GROUP,)
    folders = PurePosixPath(str(node.original_file_path)).parts[:-1]
    if folders and folders[0] == "models":
        folders = folders[1:]
    return tuple(folders[:2])


def task_name(node: DbtNode) -> str:
    """A model's or seed's name; a source table's source (one task per source)."""
    if node.resource_type == DbtResourceType.SOURCE:
        return node.unique_id.split(".")[2]
    return node.name


class NodeWatcherConverter:
    """Cosmos node converter: each source, seed and model as one watcher task in its folder's group
    (every table of a source maps to its source's one task).

    Arguments come from Cosmos's own `create_task_metadata` (select, profile, env, vars...),
    so a watcher's fallback runs exactly what a stock Cosmos task would.
    """

    __name__ = "NodeWatcherConverter"  # Cosmos logs its converters by name

    def __init__(self, render_config: RenderConfig) -> None:
        self.render_config = render_config
        self._groups: dict[tuple[int, tuple[str, ...]], TaskGroup] = {}
        self._sources: dict[tuple[int, str], Any] = {}

    def node_converters(self) -> dict[DbtResourceType, Any]:
        return {resource: self for resource in (DbtResourceType.MODEL, DbtResourceType.SEED, DbtResourceType.SOURCE)}

    def __call__(
        self,
        *,
        dag: Any,
        task_group: TaskGroup,
        node: DbtNode,
        task_args: dict[str, Any],
        execution_mode: ExecutionMode,
        test_indirect_selection: TestIndirectSelection = TestIndirectSelection.EAGER,
        on_warning_callback: Any = None,
        detached_from_parent: Any = None,
        **_: Any,
    ) -> Any:
        meta = create_task_metadata(
            node=node,
            execution_mode=execution_mode,
            args=task_args,
            dbt_dag_task_group_identifier=f"{dag.dag_id}__{task_group.group_id}",
            render_config=self.render_config,
            test_indirect_selection=test_indirect_selection,
            on_warning_callback=on_warning_callback,
            detached_from_parent=detached_from_parent,
        )
        if meta is None:
            return None
        meta.id = task_name(node)
        group = self._group(dag, task_group, task_group_path(node))
        if node.resource_type == DbtResourceType.SOURCE:
            return self._source_task(dag, task_group, group, node, meta)
        return self._operator(NodeBuildWatcher, dag, group, meta)

    def _source_task(self, dag: Any, root: TaskGroup, group: TaskGroup, node: DbtNode, meta: Any) -> Any:
        """The one task of the table's source, created with its first table."""
        key = (id(root), meta.id)
        if key not in self._sources:
            if meta.operator_class == EMPTY_OPERATOR_CLASS_PATH:
                raise ValueError(
                    f"dbt source table {node.unique_id} has no freshness check: give it a loaded_at_field and "
                    "freshness thresholds in its _<source>__sources.yml (sources.yaml holds the thresholds)"
                )
            meta.arguments["select"] = f"source:{meta.id}"
            meta.extra_context = {
                **meta.extra_context,
                "dbt_node_config": {**meta.extra_context["dbt_node_config"], "unique_id": source_id(node.unique_id)},
            }
            self._sources[key] = self._operator(SourceFreshnessWatcher, dag, group, meta)
        return self._sources[key]

    @staticmethod
    def _operator(operator: type, dag: Any, group: TaskGroup, meta: Any) -> Any:
        owner = {"owner": meta.owner} if meta.owner else {}
        return operator(
            task_id=meta.id,
            dag=dag,
            task_group=group,
            extra_context=meta.extra_context,
            **meta.arguments,
            **owner,
        )

    def _group(self, dag: Any, root: TaskGroup, path: tuple[str, ...]) -> TaskGroup:
        group = root
        for depth in range(1, len(path) + 1):
            key = (id(root), path[:depth])
            if key not in self._groups:
                self._groups[key] = TaskGroup(group_id=path[depth - 1], parent_group=group, dag=dag)
            group = self._groups[key]
        return group
