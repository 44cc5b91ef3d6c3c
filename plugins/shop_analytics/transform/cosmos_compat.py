"""Every private part of astronomer-cosmos this project uses, in one place.

Cosmos (pinned ==1.15.1) offers no public way to push a watcher node's result once, to
pick the producer's class, or to read dbt's events without serializing them; the rest of
`shop_analytics.transform` reaches those through this module alone, and
tests/orchestration/test_cosmos_compat.py names what changed when a Cosmos upgrade moves
one of them. DECISIONLOG "Cosmos internals behind one seam" says what an upstream
contribution would look like.

Private names imported here:
- `_StdoutFilter` (operators.watcher): drops dbt's JSON stdout lines during the build;
- `_extract_compiled_sql`, `_log_dbt_msg`, `_rewrite_upstream_failure_skip_status`
  (operators._watcher.base): a node's compiled SQL, dbt's message in the task log, a skip
  caused by a failed upstream node turned into a failure (Cosmos #2698);
- `is_dbt_node_status_*`, `safe_xcom_push` (operators._watcher.state): dbt's node statuses,
  an XCom push that logs rather than fails;
- `cache._update_partial_parse_cache`, `cache._obtain_cache_dir_path`: the benches prime
  Cosmos's dbt parse cache as a worker's previous run would have (`prime_partial_parse_cache`).

Private members of Cosmos's classes that the producer and the watchers override or read
(or attributes their constructors set) are listed in `OVERRIDDEN_MEMBERS`, checked by the
same test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cosmos.operators._watcher.base import (
    _extract_compiled_sql as extract_compiled_sql,
)
from cosmos.operators._watcher.base import (
    _log_dbt_msg as log_dbt_msg,
)
from cosmos.operators._watcher.base import (
    _rewrite_upstream_failure_skip_status as rewrite_upstream_failure_skip_status,
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
)
from cosmos.operators.watcher import (
    _StdoutFilter as DbtStdoutFilter,
)

# (class, member): private methods overridden and private attributes read, by role.
OVERRIDDEN_MEMBERS: tuple[tuple[type, str], ...] = (
    # producer: results recorded in memory, pushed once per node
    (DbtProducerWatcherOperator, "_make_parse_callable"),
    (DbtProducerWatcherOperator, "_push_node_state_xcom"),
    (DbtProducerWatcherOperator, "_push_source_freshness_results"),
    (DbtProducerWatcherOperator, "_update_partial_parse_cache"),
    (DbtLocalBaseOperator, "_dbt_runner_callbacks"),
    (DbtLocalBaseOperator, "_sources_json"),
    (DbtProducerWatcherOperator, "_upstream_failure_skipped_ids"),
    # watchers: the producer's state, Cosmos's fallback dbt run on a retry or a clear
    (DbtConsumerWatcherSensor, "_get_producer_task_status"),
    (DbtConsumerWatcherSensor, "_fallback_to_non_watcher_run"),
    (DbtSourceWatcherOperator, "_fallback_to_non_watcher_run"),
)


def prime_partial_parse_cache(partial_parse: Path, cache_identifier: str, cache_root: Path) -> None:
    """Put a dbt partial parse where Cosmos's cache keeps the one of task group `cache_identifier`."""
    from cosmos import cache

    cache._update_partial_parse_cache(
        partial_parse, cache._obtain_cache_dir_path(cache_identifier, base_dir=cache_root)
    )


def use_producer_class(producer: DbtProducerWatcherOperator, producer_class: type) -> None:
    """Make the producer Cosmos rendered an instance of `producer_class` (a subclass with the
    same constructor): Cosmos picks the producer's class itself, with no option for it."""
    if not issubclass(producer_class, type(producer)):
        raise TypeError(f"{producer_class.__name__} must subclass Cosmos's producer {type(producer).__name__}")
    producer.__class__ = producer_class


__all__ = [
    "OVERRIDDEN_MEMBERS",
    "DbtStdoutFilter",
    "extract_compiled_sql",
    "is_dbt_node_status_failed",
    "is_dbt_node_status_skipped",
    "is_dbt_node_status_success",
    "is_dbt_node_status_terminal",
    "log_dbt_msg",
    "prime_partial_parse_cache",
    "rewrite_upstream_failure_skip_status",
    "safe_xcom_push",
    "use_producer_class",
]


def private_member_missing(owner: type, name: str) -> bool:
    """Whether `name` is gone from `owner` (an attribute set in the constructor counts as present)."""
    return not hasattr(owner, name) and name not in _constructor_source(owner)


def _constructor_source(owner: type) -> str:
    import inspect

    sources: list[str] = []
    for klass in owner.__mro__:
        init: Any = klass.__dict__.get("__init__")
        if init is not None:
            try:
                sources.append(inspect.getsource(init))
            except (OSError, TypeError):
                continue
    return "\n".join(sources)
