"""Cosmos WATCHER, made cheap: one XCom of results from the build, one task per node reading it.

Stock Cosmos has its producer push XComs as dbt works: four or five per node (each dbt
event, the status, the compiled SQL, test aggregates), ~2,800 a build here, each a call
to the Execution API under a lock shared with dbt's threads. That doubled the build (36 s
in the producer vs 17 s bare). `ResultsOnceProducer` keeps results in memory and pushes
one XCom per rendered node (`<node>_result`: status, dbt's message, timings, each of its
tests' results, a model's compiled SQL), once, when the node and all its tests have
ended; what is left (a failed build) when the build ends. Each watcher reads that one
XCom.

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

Retries and manual clears keep Cosmos's behaviour: a watcher on its second try, or whose
producer never pushed results, defers to Cosmos's consumer logic (which falls back to
running its own `dbt build --select <node>` / `dbt source freshness`).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from airflow.exceptions import AirflowException
from airflow.sdk import TaskGroup
from cosmos.airflow.compatibility import EMPTY_OPERATOR_CLASS_PATH, AirflowSkipException
from cosmos.airflow.graph import create_task_metadata
from cosmos.config import RenderConfig
from cosmos.constants import DbtResourceType, ExecutionMode, TestIndirectSelection
from cosmos.dbt.graph import DbtNode
from cosmos.operators._watcher.base import (
    _extract_compiled_sql,
    _log_dbt_msg,
    _rewrite_upstream_failure_skip_status,
)
from cosmos.operators._watcher.state import (
    is_dbt_node_status_failed,
    is_dbt_node_status_skipped,
    is_dbt_node_status_success,
    is_dbt_node_status_terminal,
    safe_xcom_push,
)
from cosmos.operators.local import DbtLocalBaseOperator
from cosmos.operators.watcher import (
    DbtConsumerWatcherSensor,
    DbtProducerWatcherOperator,
    DbtSourceWatcherOperator,
    _StdoutFilter,
)

SOURCES_GROUP = "sources"
SEEDS_GROUP = "seeds"


class _DbtRunnerWithoutFullGc(DbtLocalBaseOperator):
    """dbtRunner as Cosmos runs it, less the `gc.collect()` after each invocation, and with
    dbt's debug chatter kept from the event callbacks.

    Cosmos resets dbt's adapters and then runs a full garbage collection after every dbt
    command (astronomer-cosmos#2334, "leaked semaphore" warnings). In a process holding
    Airflow, dbt and the parsed project that collection took ~0.7 s per invocation here,
    twice per build (freshness, build). The adapters are still reset.

    dbt hands every event to the callbacks, debug ones included (each SQL statement,
    connection, compile step: thousands a build), in dbt's threads. Only `_callback_wants`
    events reach them.
    """

    def run_dbt_runner(self, command: list[str], env: dict[str, str], cwd: str, **kwargs: Any) -> Any:
        from cosmos.dbt import runner as dbt_runner

        if not dbt_runner.is_available():
            return super().run_dbt_runner(command, env, cwd, **kwargs)
        return self._invoke_dbt_runner(command, env, cwd, self._dbt_runner_callbacks or [])

    def _invoke_dbt_runner(self, command: list[str], env: dict[str, str], cwd: str, callbacks: list[Any]) -> Any:
        from cosmos.dbt import runner as dbt_runner
        from cosmos.dbt.project import change_working_directory, environ
        from dbt.adapters.factory import reset_adapters

        with change_working_directory(cwd), environ(env):
            self.log.info("Running dbtRunner with %s in %s", command[1:], cwd)
            try:
                wanted = [_without_debug_chatter(callback) for callback in callbacks]
                return dbt_runner.get_runner(callbacks=wanted).invoke(command[1:])
            finally:
                reset_adapters()


def _callback_wants(event: Any) -> bool:
    """Every event of info level or above, and a debug one only when it ends a node
    (dbt's NodeFinished carries the node's run result; skips carry their cause)."""
    if event.info.level != "debug":
        return True
    node_info = getattr(event.data, "node_info", None)
    return node_info is not None and is_dbt_node_status_terminal(node_info.node_status)


def _without_debug_chatter(callback: Any) -> Any:
    def filtered(event: Any) -> None:
        if _callback_wants(event):
            callback(event)

    return filtered


class ResultsOnceProducer(DbtProducerWatcherOperator, _DbtRunnerWithoutFullGc):
    """Cosmos's producer (freshness, exclusions, one `dbt build`), pushing one XCom per node.

    A node's result is pushed once, as soon as the node and all its tests have ended (from
    dbt's callback thread, while the build goes on), and whatever is left when the build
    ends. Same constructor as the stock producer: `cosmos_dbt` swaps the class of the
    producer Cosmos renders (Cosmos picks the producer's class itself, with no option for it).
    """

    def execute(self, context: Any, **kwargs: Any) -> Any:
        self._results_lock = threading.Lock()
        self._node_results: dict[str, dict[str, Any]] = {}
        self._compiled_sql: dict[str, str] = {}
        self._pushed: set[str] = set()
        self._parents_of_test: dict[str, list[str]] = {}
        for parent_id, test_ids in (self.tests_per_model or {}).items():
            for test_id in test_ids:
                self._parents_of_test.setdefault(test_id, []).append(parent_id)
        ti = context["ti"]
        try:
            return super().execute(context, **kwargs)
        finally:
            # A retried producer skips (Cosmos restores its XComs): never overwrite them.
            if getattr(ti, "try_number", 1) <= 1:
                for unique_id in list(self._node_results) + list(self.tests_per_model or {}):
                    self._push_result(ti, unique_id, final=True)

    def run_dbt_runner(self, command: list[str], env: dict[str, str], cwd: str, **kwargs: Any) -> Any:
        # --no-write-json: dbt writes manifest.json twice a command (after loading it, and at
        # the end), ~0.2 s each here, into Cosmos's temporary copy of the project, deleted
        # after the task. The build's results reach Airflow through the callback; of the
        # freshness check's artifacts, Cosmos reads sources.json alone, written below from
        # dbt's result. --quiet: dbt would print every event to stdout as a JSON line for
        # Cosmos's stdout filter to parse and drop; callbacks get every event whatever the level.
        command = [*command, "--no-write-json", "--quiet"]
        context = kwargs.get("context")
        if context is not None and not context.get("_check_source_freshness"):
            return self._build(command, env, cwd, context)
        result = super().run_dbt_runner(command, env, cwd, **kwargs)
        if (context or {}).get("_check_source_freshness"):
            if result.result is not None:
                result.result.write(str(Path(cwd) / "target" / "sources.json"))
            # Where the deploy-time parse no longer held (another profile, a changed file),
            # `dbt source freshness` parsed the project again: hand that parse to the build
            # (Cosmos takes the newest of the project's and its cache's), which would
            # otherwise parse the whole project a second time.
            self._update_partial_parse_cache(Path(cwd))
        return result

    def _build(self, command: list[str], env: dict[str, str], cwd: str, context: Any) -> Any:
        """The `dbt build`, its events read from dbt's event objects by `_record_dbt_event`.

        Cosmos's producer callback serializes each event to JSON (protobuf's MessageToJson)
        for its parser to read back: ~1.7 s of a 13 s build here. A callback error is raised
        after the build: raised inside the callback, dbt would report it as a node's failure.
        """
        extra = {"project_dir": cwd, "context": context}
        errors: list[Exception] = []

        def on_event(event: Any) -> None:
            try:
                self._record_dbt_event(event_fields(event), extra)
            except Exception as error:
                self.log.exception("reading dbt's %s event failed", event.info.name)
                errors.append(error)

        # dbt still prints errors to stdout (as JSON): dropped, the callback logs them.
        with contextlib.redirect_stdout(_StdoutFilter()):
            result = self._invoke_dbt_runner(command, env, cwd, [on_event])
        if errors:
            raise errors[0]
        return result

    # --- what the stock producer pushes one XCom at a time, recorded in memory instead ---

    def _make_parse_callable(self) -> Any:
        return lambda line, extra_kwargs: self._record_dbt_event(json.loads(line), extra_kwargs)

    def _push_node_state_xcom(self, ti: Any, unique_id: str, state: str) -> None:
        self._record(unique_id, status=state, message="left out of the build by the freshness callback")

    def _push_source_freshness_results(self, context: Any) -> None:
        """One XCom per source: each of its tables' freshness result (`SourceFreshnessWatcher`)."""
        tables_by_source: dict[str, dict[str, Any]] = {}
        for result in (self._sources_json or {}).get("results", []):
            if result.get("unique_id") and result.get("status"):
                tables_by_source.setdefault(source_id(result["unique_id"]), {})[result["unique_id"]] = {
                    "status": result["status"],
                    "message": _freshness_message(result),
                    "execution_time": result.get("execution_time"),
                }
        for source, tables in tables_by_source.items():
            safe_xcom_push(task_instance=context["ti"], key=result_xcom_key(source), value={"tables": tables})

    def _record(self, unique_id: str, **result: Any) -> None:
        with self._results_lock:
            self._node_results.setdefault(unique_id, {}).update(result)

    def _record_dbt_event(self, event: Mapping[str, Any], extra_kwargs: Mapping[str, Any]) -> None:
        """Called by dbt's threads for every wanted event of the build (`event_fields`)."""
        node_info = event.get("data", {}).get("node_info") or {}
        unique_id = node_info.get("unique_id")
        if unique_id:
            status = node_info.get("node_status")
            if node_info.get("resource_type") != "test":
                # A node dbt skipped because an upstream node failed is a failure (Cosmos #2698).
                # A test keeps "skipped": a relationships test skipped because its *other*
                # parent failed must not fail this node's task (that parent's task fails).
                status = _rewrite_upstream_failure_skip_status(
                    event, unique_id, status, self._upstream_failure_skipped_ids
                )
            if is_dbt_node_status_terminal(status):
                project_dir = extra_kwargs.get("project_dir")
                sql = project_dir and _extract_compiled_sql(
                    project_dir, unique_id, node_info.get("node_path"), node_info.get("resource_type")
                )
                if sql:
                    with self._results_lock:
                        self._compiled_sql[unique_id] = sql
                run_result = event.get("data", {}).get("run_result") or {}
                self._record(
                    unique_id,
                    status=str(status),
                    message=run_result.get("message") or event.get("data", {}).get("msg") or event["info"].get("msg"),
                    execution_time=run_result.get("execution_time"),
                    started_at=node_info.get("node_started_at"),
                    finished_at=node_info.get("node_finished_at"),
                )
                context = extra_kwargs.get("context")
                if context is not None:
                    for node_id in self._parents_of_test.get(unique_id, [unique_id]):
                        self._push_result(context["ti"], node_id)
        _log_dbt_msg(event)

    def _push_result(self, ti: Any, unique_id: str, final: bool = False) -> None:
        """Push a node's result once: when it and all its tests have ended, or at the end (`final`).

        Sources are pushed per source, with the freshness results (`_push_source_freshness_results`)."""
        if unique_id.startswith(("test.", "unit_test.", "source.")):
            return
        with self._results_lock:
            if unique_id in self._pushed:
                return
            result = self._result_of(unique_id, final)
            if result is None:
                return
            self._pushed.add(unique_id)
        safe_xcom_push(task_instance=ti, key=result_xcom_key(unique_id), value=result)

    def _result_of(self, unique_id: str, final: bool = False) -> dict[str, Any] | None:
        """A node's result with its tests' and its compiled SQL; None while it or a test is running."""
        node = self._node_results.get(unique_id)
        test_ids = (self.tests_per_model or {}).get(unique_id, [])
        tests = {test_id: self._node_results[test_id] for test_id in test_ids if test_id in self._node_results}
        if not final and (node is None or len(tests) < len(test_ids)):
            return None
        if node is None and not tests:
            return None
        result = dict(node or {})
        if tests:
            result["tests"] = {
                test_id: {"status": test.get("status"), "execution_time": test.get("execution_time")}
                | ({} if is_dbt_node_status_success(test.get("status")) else {"message": test.get("message")})
                for test_id, test in tests.items()
            }
        if unique_id in self._compiled_sql:
            result["compiled_sql"] = self._compiled_sql[unique_id]
        return result


_NODE_INFO_FIELDS = ("unique_id", "node_status", "resource_type", "node_path", "node_started_at", "node_finished_at")


def event_fields(event: Any) -> dict[str, Any]:
    """What the producer reads of a dbt EventMsg, shaped as dbt's JSON log line (which
    Cosmos's helpers read), without serializing the whole message."""
    data = event.data
    fields: dict[str, Any] = {
        "info": {"name": event.info.name, "msg": event.info.msg, "level": event.info.level},
        "data": {},
    }
    if event.info.HasField("ts"):
        fields["info"]["ts"] = event.info.ts.ToJsonString()
    if _has_message(data, "node_info"):
        node = data.node_info
        fields["data"]["node_info"] = {name: getattr(node, name) or None for name in _NODE_INFO_FIELDS}
    if _has_message(data, "run_result"):
        fields["data"]["run_result"] = {
            "message": data.run_result.message or None,
            "execution_time": data.run_result.execution_time,
        }
    if "msg" in data.DESCRIPTOR.fields_by_name and data.msg:
        fields["data"]["msg"] = data.msg
    return fields


def _has_message(message: Any, field: str) -> bool:
    return field in message.DESCRIPTOR.fields_by_name and message.HasField(field)


def result_xcom_key(unique_id: str) -> str:
    """The producer's XCom key of one node's (or source's) result (Cosmos's keys are `<unique_id with __>_<what>`)."""
    return f"{unique_id.replace('.', '__')}_result"


def source_id(table_unique_id: str) -> str:
    """`source.<project>.<source>.<table>` -> `source.<project>.<source>`, the id of a source's task."""
    return table_unique_id.rsplit(".", 1)[0]


def _freshness_message(result: Mapping[str, Any]) -> str:
    age = result.get("max_loaded_at_time_ago_in_s")
    criteria = result.get("criteria") or {}
    return (
        f"freshness {result.get('status')}: max loaded at {result.get('max_loaded_at')}"
        + (f" ({age / 3600:.1f} h ago)" if isinstance(age, int | float) else "")
        + (f", warn after {criteria.get('warn_after')}, error after {criteria.get('error_after')}" if criteria else "")
    )


class _ReportsFromResults:
    """Mixin for Cosmos consumer sensors: decide from the node's result XCom, read once.

    The result is read while the task renders its templates, so a model's compiled SQL is
    part of its rendered fields (the UI's "Rendered Template") without a second update.
    """

    missing_result_is_success = False
    missing_result_reason = ""
    _result: dict[str, Any] | None = None

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        super().render_template_fields(context, jinja_env)
        ti = context["ti"]
        if ti.try_number <= 1:
            self._result = ti.xcom_pull(task_ids=self.producer_task_id, key=result_xcom_key(self.model_unique_id))
            if self._result and self._result.get("compiled_sql"):
                # Set after rendering: SQL is no Jinja template (Cosmos sets it after running, too).
                self.compiled_sql = self._result["compiled_sql"]

    def poke(self, context: Any) -> bool:
        ti = context["ti"]
        result = self._result if ti.try_number <= 1 else None
        if result is None or not (result.keys() & {"status", "tables"}):
            if ti.try_number <= 1 and self.missing_result_is_success and self._producer_succeeded(context):
                self.log.info("%s: no result from the build (%s)", self.model_unique_id, self.missing_result_reason)
                return True
            # A retry, a manual clear, or a node the producer never reported: Cosmos decides
            # (it runs the node itself, or fails).
            return super().poke(context)
        return self._judge(result)

    def _judge(self, result: Mapping[str, Any]) -> bool:
        return _judge(self.model_unique_id, result, self.log)

    def _producer_succeeded(self, context: Any) -> bool:
        return self._get_producer_task_status(context) == "success"


def _judge(unique_id: str, result: Mapping[str, Any], log: Any) -> bool:
    """Log the node's and its tests' results; succeed, skip or fail as dbt did."""
    status = result["status"]
    log.info("%s: %s%s", unique_id, status, _timing(result))
    if result.get("message"):
        log.info("dbt: %s", result["message"])
    if is_dbt_node_status_skipped(status):
        raise AirflowSkipException(f"{unique_id} was not built: {result.get('message') or 'skipped by dbt'}")
    if not is_dbt_node_status_success(status):
        raise AirflowException(f"{unique_id} {status}: {result.get('message') or 'see the producer log'}")
    tests = result.get("tests") or {}
    failed = []
    for test_id, test in sorted(tests.items()):
        test_status = test.get("status")
        log.info("  test %s: %s%s", test_id.split(".")[2], test_status, _timing(test))
        if is_dbt_node_status_failed(test_status):
            failed.append(f"{test_id.split('.')[2]} ({test_status}: {test.get('message')})")
    if failed:
        raise AirflowException(f"{unique_id}: {len(failed)} of its {len(tests)} tests failed: " + "; ".join(failed))
    if tests:
        log.info("%s: all %d tests passed", unique_id, len(tests))
    return True


def _timing(result: Mapping[str, Any]) -> str:
    seconds = result.get("execution_time")
    return f" in {seconds:.2f} s" if isinstance(seconds, int | float) else ""


class NodeBuildWatcher(_ReportsFromResults, DbtConsumerWatcherSensor):
    """A model or seed and its tests, as the one `dbt build` ran them.

    Its fallback (a retry, a manual clear) is `dbt build --select <node>`: the node and its tests.
    """

    base_cmd = ["build"]


class SourceFreshnessWatcher(_ReportsFromResults, DbtSourceWatcherOperator):
    """A source (`model_unique_id` `source.<project>.<source>`): the freshness check of each
    of its tables from the producer's run. Its fallback (a retry, a manual clear) is
    `dbt source freshness --select source:<source>`: every table of the source."""

    missing_result_is_success = True
    missing_result_reason = "no freshness check reported for this source"

    def _judge(self, result: Mapping[str, Any]) -> bool:
        tables = result.get("tables") or {}
        failed = []
        for table_id, table in sorted(tables.items()):
            status = table.get("status")
            self.log.info("%s: %s%s: %s", table_id.split(".", 2)[2], status, _timing(table), table.get("message"))
            if is_dbt_node_status_failed(status):
                failed.append(f"{table_id.split('.', 2)[2]} ({table.get('message')})")
        if failed:
            raise AirflowException(
                f"{self.model_unique_id}: {len(failed)} of its {len(tables)} tables failed their freshness check, so "
                "nothing built on this source was built this run (check its Airbyte sync): " + "; ".join(failed)
            )
        self.log.info("%s: all %d tables fresh enough", self.model_unique_id, len(tables))
        return True


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
