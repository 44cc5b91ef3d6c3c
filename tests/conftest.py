"""Test-wide Airflow settings, applied before anything imports airflow.

Tests never touch the developer's .airflow/ home or data/ DuckDB file.
"""

import os
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
_TEST_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="shop-analytics-airflow-"))

os.environ["AIRFLOW_HOME"] = str(_TEST_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO_ROOT / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(REPO_ROOT / "plugins")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_TEST_AIRFLOW_HOME / 'airflow.db'}"
os.environ.setdefault("SHOP_ANALYTICS_DUCKDB_PATH", str(_TEST_AIRFLOW_HOME / "unused.duckdb"))
os.environ["AIRFLOW__COSMOS__ENABLE_TELEMETRY"] = "False"
os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"


import pytest  # noqa: E402  (after the environment above, which must precede any airflow import)


@pytest.fixture(scope="session")
def make_ui(tmp_path_factory):
    """`make ui` with its first scheduled run ended, shared by the real-scheduler and browser tests."""
    from tests.orchestration.make_ui import running_make_ui

    with running_make_ui(tmp_path_factory.mktemp("make-ui")) as ui:
        yield ui


@pytest.fixture(scope="session")
def published_reporting(tmp_path_factory):
    """The default simulator history landed, built and published to `reporting` once per session
    (the dashboard preview, its browser tests and the morning digest read it)."""
    from shop_analytics.publish import publish_command
    from tests.dbt.conftest import DEFAULT_SYNC_DAYS, DbtProject, land_raw

    work_dir = tmp_path_factory.mktemp("published_reporting")
    project = DbtProject(work_dir / "shop_analytics.duckdb", work_dir)
    # The first sync lands the default world's whole history; the later ones add nothing the
    # dashboard tests need and cost time.
    land_raw(project.duckdb_path, DEFAULT_SYNC_DAYS[:1])
    built = project.run("build", check=False)
    assert built.returncode == 0, f"dbt build failed:\n{built.stdout[-6000:]}"
    project.run(*publish_command())
    return project


def pytest_collection_modifyitems(config, items):
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main
    thread until the session ends, and `asyncio.run` (Airflow's inline triggers under
    `dag.test`) refuses to start inside a running loop."""
    items.sort(key=lambda item: item.nodeid.startswith("tests/browser/"))
