"""The watcher producer: Cosmos's one `dbt build`, pushing one XCom of results per node.

Stock Cosmos has its producer push XComs as dbt works: four or five per node (each dbt
event, the status, the compiled SQL, test aggregates), ~2,800 a build here, each a call
to the Execution API under a lock shared with dbt's threads. That doubled the build (36 s
in the producer vs 17 s bare). `ResultsOnceProducer` keeps results in memory and pushes
one XCom per rendered node (`<node>_result`: status, dbt's message, timings, each of its
tests' results, a model's compiled SQL), once, when the node and all its tests have
ended; what is left (a failed build) when the build ends. Each watcher
(`shop_analytics.transform.watchers`) reads that one XCom.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cosmos.operators.local import DbtLocalBaseOperator
from cosmos.operators.watcher import DbtProducerWatcherOperator

from shop_analytics.transform.cosmos_compat import (
    DbtStdoutFilter,
    extract_compiled_sql,
    is_dbt_node_status_success,
    is_dbt_node_status_terminal,
    log_dbt_msg,
    rewrite_upstream_failure_skip_status,
    safe_xcom_push,
)


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
    ends. Same constructor as the stock producer: `cosmos_dbt` makes the producer Cosmos
    renders one (`cosmos_compat.use_producer_class`).
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
        with contextlib.redirect_stdout(DbtStdoutFilter()):
            result = self._invoke_dbt_runner(command, env, cwd, [on_event])
        summary = bytes_processed_summary(self._node_results)
        if summary:
            self.log.info(summary)
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
                status = rewrite_upstream_failure_skip_status(
                    event, unique_id, status, self._upstream_failure_skipped_ids
                )
            if is_dbt_node_status_terminal(status):
                project_dir = extra_kwargs.get("project_dir")
                sql = project_dir and extract_compiled_sql(
                    project_dir, unique_id, node_info.get("node_path"), node_info.get("resource_type")
                )
                if sql:
                    with self._results_lock:
                        self._compiled_sql[unique_id] = sql
                run_result = event.get("data", {}).get("run_result") or {}
                if run_result.get("bytes_processed") is not None:
                    self.log.info("%s processed %s on BigQuery", unique_id, _bytes(run_result["bytes_processed"]))
                    self._record(unique_id, bytes_processed=run_result["bytes_processed"])
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
        log_dbt_msg(event)

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
                test_id: {
                    "status": test.get("status"),
                    "execution_time": test.get("execution_time"),
                    "finished_at": test.get("finished_at"),
                }
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
        # dbt-bigquery's adapter response (BigQueryAdapterResponse) carries the job's bytes
        # processed, what on-demand pricing bills; other adapters have none.
        if "bytes_processed" in data.run_result.adapter_response:
            fields["data"]["run_result"]["bytes_processed"] = int(data.run_result.adapter_response["bytes_processed"])
    if "msg" in data.DESCRIPTOR.fields_by_name and data.msg:
        fields["data"]["msg"] = data.msg
    return fields


def bytes_processed_summary(node_results: Mapping[str, Mapping[str, Any]], largest: int = 5) -> str | None:
    """The run's bytes processed on BigQuery (on-demand billing's measure), summed over the
    nodes that reported it, with the largest; None when no node did (DuckDB)."""
    processed = {
        unique_id: result["bytes_processed"]
        for unique_id, result in node_results.items()
        if result.get("bytes_processed") is not None
    }
    if not processed:
        return None
    top = sorted(processed.items(), key=lambda item: item[1], reverse=True)[:largest]
    return (
        f"dbt build processed {_bytes(sum(processed.values()))} on BigQuery over {len(processed)} nodes; largest: "
        + ", ".join(
            f"{unique_id.rsplit('.', 1)[-1] if unique_id.startswith('model.') else unique_id} {_bytes(n)}"
            for unique_id, n in top
        )
    )


def _bytes(count: int) -> str:
    return f"{count:,} bytes ({count / 2**30:.3f} GiB)"


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
