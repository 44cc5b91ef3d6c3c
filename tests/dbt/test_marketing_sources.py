"""Every GA4 stream Airbyte lands has exactly one staging model. (That every stream of
every source is a dbt source table with the catalogue's freshness thresholds is checked
for all sources at once in tests/unit/test_sources_config.py.)"""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = yaml.safe_load((REPO / "plugins" / "shop_analytics" / "config" / "sources.yaml").read_text())["sources"]
SOURCE_FILES = {
    "ga4": REPO / "include" / "dbt" / "models" / "staging" / "ga4" / "_ga4__sources.yml",
    "instagram": REPO / "include" / "dbt" / "models" / "staging" / "instagram" / "_instagram__sources.yml",
}


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
