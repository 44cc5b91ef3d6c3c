"""The per-node watchers: each source, seed and model's task, reporting its node from the build.

A watcher starts with the producer (not after it), reads its node's result XCom
(`producer.result_xcom_key`) and, while the node is still building, defers to
`NodeResultTrigger`: the triggerer polls that one XCom and ends the task itself
(success, failed or skipped, dbt's output in the task's log) as soon as the node and its
tests have ended, so a model's task turns green while the build goes on, and no worker
is taken twice per node. Watchers only read: they take no DuckDB pool slot.

Retries and manual clears keep Cosmos's behaviour: a watcher on its second try, or whose
producer ended without its result, runs Cosmos's fallback (its own `dbt build --select
<node>` / `dbt source freshness`), holding the DuckDB writer lock (`duckdb_writer_lock`)
locally, since that does write.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow.exceptions import AirflowException
from airflow.triggers.base import BaseTrigger, TaskFailedEvent, TaskSkippedEvent, TaskSuccessEvent, TriggerEvent
from asgiref.sync import sync_to_async
from cosmos.airflow.compatibility import AirflowSkipException
from cosmos.operators.watcher import DbtConsumerWatcherSensor, DbtSourceWatcherOperator

from shop_analytics.transform.cosmos_compat import (
    is_dbt_node_status_failed,
    is_dbt_node_status_skipped,
    is_dbt_node_status_success,
)
from shop_analytics.transform.producer import result_xcom_key

# How often a deferred watcher's trigger reads its node's result: a model's task ends at
# most this long after the node and its tests ended in the build.
WATCHER_POLL_SECONDS = 1.0
# Producer states after which no result will come.
PRODUCER_ENDED = ("success", "failed", "skipped", "upstream_failed", "removed")


@dataclass
class Verdict:
    """What a node's result means for its task: its end state and the lines for its log."""

    state: str  # success | failed | skipped
    lines: list[str] = field(default_factory=list)
    reason: str = ""


def judge_node(unique_id: str, result: Mapping[str, Any]) -> Verdict:
    """A model or seed and its tests: succeed, skip or fail as dbt did (a failed test fails the node's task)."""
    status = result["status"]
    lines = [f"{unique_id}: {status}{_timing(result)}"]
    if result.get("message"):
        lines.append(f"dbt: {result['message']}")
    if is_dbt_node_status_skipped(status):
        return Verdict("skipped", lines, f"{unique_id} was not built: {result.get('message') or 'skipped by dbt'}")
    if not is_dbt_node_status_success(status):
        return Verdict("failed", lines, f"{unique_id} {status}: {result.get('message') or 'see the producer log'}")
    tests = result.get("tests") or {}
    failed = []
    for test_id, test in sorted(tests.items()):
        test_status = test.get("status")
        lines.append(f"  test {test_id.split('.')[2]}: {test_status}{_timing(test)}")
        if is_dbt_node_status_failed(test_status):
            failed.append(f"{test_id.split('.')[2]} ({test_status}: {test.get('message')})")
    if failed:
        reason = f"{unique_id}: {len(failed)} of its {len(tests)} tests failed: " + "; ".join(failed)
        return Verdict("failed", lines, reason)
    if tests:
        lines.append(f"{unique_id}: all {len(tests)} tests passed")
    return Verdict("success", lines)


def judge_source(unique_id: str, result: Mapping[str, Any]) -> Verdict:
    """A source: each of its tables' freshness check; one past its error threshold fails the source's task."""
    tables = result.get("tables") or {}
    lines, failed = [], []
    for table_id, table in sorted(tables.items()):
        status = table.get("status")
        lines.append(f"{table_id.split('.', 2)[2]}: {status}{_timing(table)}: {table.get('message')}")
        if is_dbt_node_status_failed(status):
            failed.append(f"{table_id.split('.', 2)[2]} ({table.get('message')})")
    if failed:
        reason = (
            f"{unique_id}: {len(failed)} of its {len(tables)} tables failed their freshness check, so nothing "
            "built on this source was built this run (check its Airbyte sync): " + "; ".join(failed)
        )
        return Verdict("failed", lines, reason)
    lines.append(f"{unique_id}: all {len(tables)} tables fresh enough")
    return Verdict("success", lines)


JUDGES = {"node": judge_node, "source": judge_source}


def _timing(result: Mapping[str, Any]) -> str:
    seconds = result.get("execution_time")
    return f" in {seconds:.2f} s" if isinstance(seconds, int | float) else ""


def has_verdict(result: Mapping[str, Any] | None) -> bool:
    return bool(result) and bool(result.keys() & {"status", "tables"})


class NodeResultTrigger(BaseTrigger):
    """Waits in the triggerer for one node's result XCom and ends its task from there.

    With the result: the task ends success / failed / skipped, its verdict logged (the
    task's log shows the triggerer's lines). When the producer ends without it: the task
    resumes on a worker (`execute_complete`), where Cosmos's logic decides.
    """

    def __init__(
        self,
        *,
        dag_id: str,
        run_id: str,
        producer_task_id: str,
        unique_id: str,
        kind: str,
        poll_seconds: float = WATCHER_POLL_SECONDS,
    ) -> None:
        super().__init__()
        self.dag_id = dag_id
        self.run_id = run_id
        self.producer_task_id = producer_task_id
        self.unique_id = unique_id
        self.kind = kind
        self.poll_seconds = poll_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "dag_id": self.dag_id,
                "run_id": self.run_id,
                "producer_task_id": self.producer_task_id,
                "unique_id": self.unique_id,
                "kind": self.kind,
                "poll_seconds": self.poll_seconds,
            },
        )

    def _result(self) -> Any:
        from airflow.sdk.execution_time.xcom import XCom

        return XCom.get_one(
            run_id=self.run_id, key=result_xcom_key(self.unique_id), task_id=self.producer_task_id, dag_id=self.dag_id
        )

    def _producer_state(self) -> str | None:
        from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance

        states = RuntimeTaskInstance.get_task_states(
            dag_id=self.dag_id, task_ids=[self.producer_task_id], run_ids=[self.run_id]
        )
        state = states.get(self.run_id, {}).get(self.producer_task_id)
        return str(state) if state is not None else None

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            # The producer's state first: a result pushed just before it ended is read below.
            producer_state = await sync_to_async(self._producer_state)()
            result = await sync_to_async(self._result)()
            if has_verdict(result):
                verdict = JUDGES[self.kind](self.unique_id, result)
                for line in verdict.lines:
                    self.log.info("%s", line)
                if verdict.state == "success":
                    yield TaskSuccessEvent()
                elif verdict.state == "skipped":
                    self.log.info("%s", verdict.reason)
                    yield TaskSkippedEvent()
                else:
                    self.log.error("%s", verdict.reason)
                    yield TaskFailedEvent()
                return
            if producer_state in PRODUCER_ENDED:
                yield TriggerEvent({"producer_state": producer_state})
                return
            await asyncio.sleep(self.poll_seconds)


@contextlib.contextmanager
def duckdb_writer_lock(env: Mapping[str, str]) -> Iterator[None]:
    """Locally (dbt target `local`), hold the DuckDB file's writer lock while dbt runs: DuckDB
    allows one writing process, and a watcher's fallback writes outside the producer's pool."""
    if env.get("DBT_TARGET", "local") != "local" or not env.get("SHOP_ANALYTICS_DUCKDB_PATH"):
        yield
        return
    lock_path = Path(f"{env['SHOP_ANALYTICS_DUCKDB_PATH']}.writer.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class _ReportsFromResults:
    """Mixin for Cosmos consumer sensors: decide from the node's result XCom, read once, or defer.

    The result is read while the task renders its templates, so a model's compiled SQL is
    part of its rendered fields (the UI's "Rendered Template") when the node has already ended.
    """

    kind = "node"
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

    def execute(self, context: Any, **kwargs: Any) -> None:
        if not self.deferrable:
            return super().execute(context, **kwargs)
        if self.poke(context):
            return None
        self.log.info("%s is still building: deferring until its result arrives", self.model_unique_id)
        self.defer(
            trigger=NodeResultTrigger(
                dag_id=self.dag_id,
                run_id=context["run_id"],
                producer_task_id=self.producer_task_id,
                unique_id=self.model_unique_id,
                kind=self.kind,
            ),
            method_name="execute_complete",
            timeout=self.execution_timeout,
        )
        return None

    def execute_complete(self, context: Any, event: Mapping[str, Any]) -> None:
        """The producer ended without this node's result (the trigger ends the task itself otherwise)."""
        producer_state = event.get("producer_state")
        result = context["ti"].xcom_pull(task_ids=self.producer_task_id, key=result_xcom_key(self.model_unique_id))
        if has_verdict(result):
            self._judge(result)
            return
        if producer_state == "success" and self.missing_result_is_success:
            self.log.info("%s: no result from the build (%s)", self.model_unique_id, self.missing_result_reason)
            return
        if producer_state == "skipped":
            # The producer skips on its retry: Cosmos's fallback builds the node itself.
            self._fallback_to_non_watcher_run(context["ti"].try_number, context)
            return
        raise AirflowException(
            f"the producer {self.producer_task_id} ended {producer_state} without reporting {self.model_unique_id}: "
            "see its log; fix, then clear this task (it rebuilds the node)"
        )

    def poke(self, context: Any) -> bool:
        ti = context["ti"]
        result = self._result if ti.try_number <= 1 else None
        if not has_verdict(result):
            if ti.try_number <= 1 and self.missing_result_is_success and self._producer_succeeded(context):
                self.log.info("%s: no result from the build (%s)", self.model_unique_id, self.missing_result_reason)
                return True
            # A retry, a manual clear, or a node not reported yet: Cosmos decides (it waits,
            # runs the node itself, or fails).
            return super().poke(context)
        return self._judge(result)

    def _judge(self, result: Mapping[str, Any]) -> bool:
        verdict = JUDGES[self.kind](self.model_unique_id, result)
        for line in verdict.lines:
            self.log.info("%s", line)
        if verdict.state == "skipped":
            raise AirflowSkipException(verdict.reason)
        if verdict.state == "failed":
            raise AirflowException(verdict.reason)
        return True

    def _producer_succeeded(self, context: Any) -> bool:
        return self._get_producer_task_status(context) == "success"

    def build_and_run_cmd(self, context: Any, *args: Any, **kwargs: Any) -> Any:
        """Cosmos's fallback dbt run (a retry, a clear): the one place a watcher writes the warehouse."""
        with duckdb_writer_lock({**os.environ, **(self.env or {})}):
            self.log.info("rebuilding %s on its own", self.model_unique_id)
            return super().build_and_run_cmd(context, *args, **kwargs)


class NodeBuildWatcher(_ReportsFromResults, DbtConsumerWatcherSensor):
    """A model or seed and its tests, as the one `dbt build` ran them.

    Its fallback (a retry, a manual clear) is `dbt build --select <node>`: the node and its tests.
    """

    base_cmd = ["build"]


class SourceFreshnessWatcher(_ReportsFromResults, DbtSourceWatcherOperator):
    """A source (`model_unique_id` `source.<project>.<source>`): the freshness check of each
    of its tables from the producer's run. Its fallback (a retry, a manual clear) is
    `dbt source freshness --select source:<source>`: every table of the source."""

    kind = "source"
    missing_result_is_success = True
    missing_result_reason = "no freshness check reported for this source"
