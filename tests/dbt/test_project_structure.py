"""The dbt project keeps dbt Labs' layering, checked on the manifest (no warehouse needed):
intermediate models never read marts, and no macro hides a `ref` or `source`, so a
model's file shows everything it reads. (Etsy staging still reads the shop_accounts seed
for shop-local days: see DECISIONLOG, "Shop-local days are still computed in staging".)
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
