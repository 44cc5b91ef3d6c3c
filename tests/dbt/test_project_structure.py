"""The dbt project keeps dbt Labs' layering, checked on the manifest (no warehouse needed).

Staging is one model per source table and reads only its source (and its own base
model); intermediate models never read marts; no macro hides a `ref` or `source`, so a
model's file shows everything it reads.
"""

from __future__ import annotations

import json
import re

import pytest

from shop_analytics.config import REPO_ROOT

MANIFEST = REPO_ROOT / "include" / "dbt" / "target" / "manifest.json"
PROJECT = "shop_analytics"


@pytest.fixture(scope="module")
def manifest() -> dict:
    if not MANIFEST.exists():
        raise FileNotFoundError(f"{MANIFEST} is missing: run `make manifest` (make test does)")
    return json.loads(MANIFEST.read_text())


def _models(manifest: dict, layer: str) -> list[dict]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["original_file_path"].startswith(f"models/{layer}/")
    ]


def test_staging_models_read_only_their_source_and_base_models(manifest):
    leaks = {}
    for model in _models(manifest, "staging"):
        folder = model["original_file_path"].split("/")[2]
        for parent in model["depends_on"]["nodes"]:
            node = manifest["nodes"].get(parent) or manifest["sources"].get(parent)
            is_own_source = parent.startswith("source.") and node["source_name"] == folder
            is_own_base = (
                parent.startswith("model.")
                and node["original_file_path"].startswith(f"models/staging/{folder}/base/")
                and not model["original_file_path"].startswith(f"models/staging/{folder}/base/")
            )
            if not (is_own_source or is_own_base):
                leaks.setdefault(model["name"], []).append(parent)
    assert leaks == {}, f"staging models reading more than their source (move the join to intermediate): {leaks}"


def test_intermediate_models_never_read_marts(manifest):
    leaks = {
        model["name"]: [
            parent
            for parent in model["depends_on"]["nodes"]
            if parent.startswith("model.")
            and manifest["nodes"][parent]["original_file_path"].startswith("models/marts/")
        ]
        for model in _models(manifest, "intermediate")
    }
    assert {name: parents for name, parents in leaks.items() if parents} == {}


def test_no_macro_calls_ref_or_source(manifest):
    calls = re.compile(r"\b(ref|source)\s*\(")
    offenders = sorted(
        macro["original_file_path"] + ":" + macro["name"]
        for macro in manifest["macros"].values()
        if macro["package_name"] == PROJECT and calls.search(macro["macro_sql"])
    )
    assert offenders == [], f"macros calling ref/source (pass the relation in from the model instead): {offenders}"
