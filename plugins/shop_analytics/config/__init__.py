"""The pipeline's configuration: sources and streams (sources.yaml) and deployment settings."""

from shop_analytics.config.settings import REPO_ROOT, Settings
from shop_analytics.config.sources import SYNC_MODES, Source, Stream, load_sources

__all__ = ["REPO_ROOT", "SYNC_MODES", "Settings", "Source", "Stream", "load_sources"]
