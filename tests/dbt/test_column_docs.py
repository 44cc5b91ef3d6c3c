"""Every column a reader of the warehouse sees is documented: marts (reporting included)
100 %, staging at least 95 %, and no yml entry names a column the model does not have.

The truth is the built tables' columns (the session build), compared with the dbt
manifest's column descriptions, so a column added to a model without its yml entry, or a
yml entry left behind by a renamed column, fails here by name."""

from __future__ import annotations

import json

import pytest

STAGING_MINIMUM_SHARE = 0.95


def _built_columns(dbt_project) -> dict[str, list[str]]:
    """unique_id -> columns of the model's table or view, in the session build."""
    manifest = json.loads((dbt_project.target_path / "manifest.json").read_text())
    relations = {
        (node["schema"], node["alias"]): unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
    }
    columns: dict[str, list[str]] = {}
    for schema, table, column in dbt_project.query(
        "select table_schema, table_name, column_name from information_schema.columns order by ordinal_position"
    ):
        if (schema, table) in relations:
            columns.setdefault(relations[(schema, table)], []).append(column)
    return columns


@pytest.fixture(scope="module")
def layers(dbt_project) -> dict[str, dict[str, tuple[list[str], list[str], list[str]]]]:
    """layer -> model -> (built columns, undescribed columns, yml columns the model lacks)."""
    manifest = json.loads((dbt_project.target_path / "manifest.json").read_text())
    built = _built_columns(dbt_project)
    result: dict[str, dict[str, tuple[list[str], list[str], list[str]]]] = {}
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "model":
            continue
        layer = node["original_file_path"].split("/")[1]
        assert unique_id in built, f"{node['name']} was not built by the session build"
        columns = built[unique_id]
        documented = {name.lower(): column for name, column in node["columns"].items()}
        undescribed = [column for column in columns if not documented.get(column.lower(), {}).get("description")]
        phantom = sorted(set(documented) - {column.lower() for column in columns})
        result.setdefault(layer, {})[node["name"]] = (columns, undescribed, phantom)
    return result


def test_every_mart_column_is_described(layers):
    undescribed = {model: missing for model, (_, missing, _) in layers["marts"].items() if missing}
    assert undescribed == {}, f"mart columns without a description (add them to the folder's yml): {undescribed}"


@pytest.mark.parametrize("layer", ["staging", "intermediate", "marts"])
def test_no_yml_entry_names_a_column_the_model_lacks(layers, layer):
    phantoms = {model: phantom for model, (_, _, phantom) in layers[layer].items() if phantom}
    assert phantoms == {}, f"yml columns the built {layer} models do not have (renamed or dropped?): {phantoms}"


def test_staging_columns_are_described(layers):
    total = sum(len(columns) for columns, _, _ in layers["staging"].values())
    undescribed = {model: missing for model, (_, missing, _) in layers["staging"].items() if missing}
    share = 1 - sum(len(missing) for missing in undescribed.values()) / total
    assert share >= STAGING_MINIMUM_SHARE, (
        f"staging: {share:.1%} of {total} columns described, below {STAGING_MINIMUM_SHARE:.0%}; "
        f"undescribed: {undescribed}"
    )
