"""An Etsy Open API v3 stand-in served from the simulator's world (see server.py)."""

from standin.etsy_api.server import EtsyApiFaults, EtsyApiStandin

__all__ = ["EtsyApiFaults", "EtsyApiStandin"]
