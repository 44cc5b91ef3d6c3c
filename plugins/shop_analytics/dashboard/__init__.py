"""The owner's dashboard as code: the spec (include/dashboards/shop_overview.yml), the Looker
Studio Linking API URL built from it, its KPI tiles read from the reporting tables, and the
local static preview (preview.py, local only: it needs plotly)."""

from shop_analytics.dashboard.spec import DASHBOARD_SPEC_PATH, Chart, Dashboard, Metric, load_dashboard

__all__ = ["DASHBOARD_SPEC_PATH", "Chart", "Dashboard", "Metric", "load_dashboard"]
