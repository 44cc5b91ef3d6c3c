"""What stands in for Looker Studio under `make ui`: the static dashboard preview
(`make dashboard`, build/dashboard) served over HTTP beside the Airflow UI."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the standard library's name)
        """Requests are not worth a line in the UI's console."""


@contextmanager
def serving_dashboard(port: int) -> Iterator[str]:
    """Serve build/dashboard on localhost:`port` until the block ends; yields the URL to print."""
    from shop_analytics.dashboard.preview import DASHBOARD_DIR  # plotly: only when the UI runs

    DASHBOARD_DIR.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_QuietHandler, directory=str(DASHBOARD_DIR))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, name="dashboard-preview", daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{port}/index.html"
    finally:
        server.shutdown()
        server.server_close()
