"""sources.yaml: the single catalogue of sources is valid and matches the dbt sources."""

import pytest
import yaml

from shop_analytics.config import REPO_ROOT, load_sources
from shop_analytics.config.sources import SOURCES_FILE, _parse_stream


def test_every_source_has_streams_with_primary_keys_or_documented_none():
    sources = load_sources()
    assert set(sources) == {"etsy", "ga4", "instagram"}
    for source in sources.values():
        assert source.streams, source.name
        assert source.warn_after_hours < source.error_after_hours
        for stream in source.streams:
            assert stream.primary_key or stream.name == "story_insights", f"{source.name}.{stream.name}"


def test_unknown_sync_mode_is_rejected_with_the_stream_named():
    with pytest.raises(ValueError, match=r"etsy\.receipts.*sync_mode 'mirror'"):
        _parse_stream("etsy", "receipts", {"sync_mode": "mirror", "schema_ref": "x"})


def test_incremental_stream_without_cursor_is_rejected():
    with pytest.raises(ValueError, match="needs a cursor_field"):
        _parse_stream("ga4", "pages", {"sync_mode": "incremental_append", "schema_ref": "x"})


def test_dbt_sources_declare_every_configured_stream_with_its_freshness():
    for source in load_sources().values():
        path = REPO_ROOT / "include" / "dbt" / "models" / "staging" / source.name / f"_{source.name}__sources.yml"
        declared = yaml.safe_load(path.read_text())["sources"]
        (dbt_source,) = [s for s in declared if s["name"] == source.name]
        tables = {t["name"] for t in dbt_source["tables"]}
        assert tables == {s.name for s in source.streams}, f"{path} vs {SOURCES_FILE}"
        assert source.raw_schema in dbt_source["schema"]
        freshness = dbt_source["config"]["freshness"]
        assert freshness["warn_after"] == {"count": source.warn_after_hours, "period": "hour"}
        assert freshness["error_after"] == {"count": source.error_after_hours, "period": "hour"}
        assert dbt_source["config"]["loaded_at_field"] == "_airbyte_extracted_at"
