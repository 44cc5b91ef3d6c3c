"""The GA4 and Instagram dbt sources mirror the source catalogue (sources.yaml): every
stream Airbyte lands has a dbt source table and the same freshness thresholds."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = yaml.safe_load((REPO / "plugins" / "shop_analytics" / "config" / "sources.yaml").read_text())["sources"]
SOURCE_FILES = {
    "ga4": REPO / "include" / "dbt" / "models" / "staging" / "ga4" / "_ga4__sources.yml",
    "instagram": REPO / "include" / "dbt" / "models" / "staging" / "instagram" / "_instagram__sources.yml",
}


@pytest.mark.parametrize("source_name", sorted(SOURCE_FILES))
def test_dbt_source_mirrors_the_catalogue(source_name):
    (dbt_source,) = yaml.safe_load(SOURCE_FILES[source_name].read_text())["sources"]
    catalogue = CATALOGUE[source_name]
    assert dbt_source["name"] == source_name
    assert catalogue["raw_schema"] in dbt_source["schema"]
    assert {table["name"] for table in dbt_source["tables"]} == set(catalogue["streams"])
    freshness = dbt_source["config"]["freshness"]
    assert freshness["warn_after"] == {"count": catalogue["freshness"]["warn_after_hours"], "period": "hour"}
    assert freshness["error_after"] == {"count": catalogue["freshness"]["error_after_hours"], "period": "hour"}
    assert dbt_source["config"]["loaded_at_field"] == "_airbyte_extracted_at"


def test_every_ga4_stream_has_a_staging_model():
    staging = {path.stem for path in SOURCE_FILES["ga4"].parent.glob("stg_ga4__*.sql")}
    models_per_stream = {
        stream: [
            path.stem
            for path in SOURCE_FILES["ga4"].parent.glob("stg_ga4__*.sql")
            if f"source('ga4', '{stream}')" in path.read_text()
        ]
        for stream in CATALOGUE["ga4"]["streams"]
    }
    assert all(len(models) == 1 for models in models_per_stream.values()), models_per_stream
    assert len(staging) == len(CATALOGUE["ga4"]["streams"])
