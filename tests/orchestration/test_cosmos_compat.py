"""Cosmos internals behind one seam: only `shop_analytics.transform.cosmos_compat` imports a
private Cosmos name, and every private member the project relies on still exists, so a
Cosmos upgrade that moves one fails here, naming it, instead of in a DAG run."""

from __future__ import annotations

import ast
import inspect

import pytest

from shop_analytics.config import REPO_ROOT
from shop_analytics.transform import cosmos_compat

PROJECT_PYTHON = [
    path
    for folder in ("plugins", "dags", "standin", "bench")
    for path in (REPO_ROOT / folder).rglob("*.py")
    if "__pycache__" not in path.parts
]


def _private_cosmos_imports(path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cosmos"):
            module_private = any(part.startswith("_") for part in node.module.split("."))
            names = [alias.name for alias in node.names if alias.name.startswith("_")]
            if module_private or names:
                found.append(f"from {node.module} import {', '.join(alias.name for alias in node.names)}")
        elif isinstance(node, ast.Import):
            found += [
                f"import {alias.name}"
                for alias in node.names
                if alias.name.startswith("cosmos") and any(part.startswith("_") for part in alias.name.split("."))
            ]
    return found


def test_only_the_compat_module_imports_private_cosmos_names():
    compat = REPO_ROOT / "plugins" / "shop_analytics" / "transform" / "cosmos_compat.py"
    offenders = {
        str(path.relative_to(REPO_ROOT)): imports
        for path in PROJECT_PYTHON
        if path != compat and (imports := _private_cosmos_imports(path))
    }
    assert not offenders, f"private Cosmos names imported outside cosmos_compat: {offenders}"
    assert _private_cosmos_imports(compat), "the compat module is where the private imports live"


@pytest.mark.parametrize(
    ("owner", "name"),
    cosmos_compat.OVERRIDDEN_MEMBERS,
    ids=[f"{owner.__name__}.{name}" for owner, name in cosmos_compat.OVERRIDDEN_MEMBERS],
)
def test_every_private_cosmos_member_the_project_overrides_or_reads_still_exists(owner, name):
    assert not cosmos_compat.private_member_missing(owner, name), (
        f"Cosmos moved {owner.__module__}.{owner.__name__}.{name}: the producer or the watchers override or read "
        "it (shop_analytics.transform.cosmos_compat.OVERRIDDEN_MEMBERS); adapt them to the new Cosmos"
    )


def test_the_private_functions_keep_the_signatures_the_producer_calls():
    expected = {
        cosmos_compat.extract_compiled_sql: ["project_dir", "unique_id", "node_path", "resource_type"],
        cosmos_compat.rewrite_upstream_failure_skip_status: [
            "log_line",
            "unique_id",
            "dbt_node_status",
            "upstream_failure_skipped_ids",
        ],
        cosmos_compat.safe_xcom_push: ["task_instance", "key", "value"],
        cosmos_compat.log_dbt_msg: ["log_line"],
    }
    for function, parameters in expected.items():
        actual = list(inspect.signature(function).parameters)
        assert actual == parameters, f"Cosmos changed {function.__module__}.{function.__name__}: now {actual}"


def test_the_producer_class_swap_refuses_a_class_that_is_no_cosmos_producer():
    class NotAProducer:
        pass

    producer = object.__new__(cosmos_compat.DbtProducerWatcherOperator)
    with pytest.raises(TypeError, match="must subclass Cosmos's producer"):
        cosmos_compat.use_producer_class(producer, NotAProducer)
