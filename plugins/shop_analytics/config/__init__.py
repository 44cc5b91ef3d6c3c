"""The pipeline's configuration: sources and streams (sources.yaml) and paths/settings."""

from shop_analytics.config.sources import SYNC_MODES, Source, Stream, load_sources

__all__ = ["SYNC_MODES", "Source", "Stream", "load_sources"]
