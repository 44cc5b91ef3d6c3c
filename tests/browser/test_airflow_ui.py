"""The Airflow UI that `make ui` serves, in Chromium: log in, the DAG's grid with its task
groups, one model task's log showing that model's dbt output, and the dbt docs page.

Reads the run of the session's `make ui` (tests/conftest.py), the one the real-scheduler
tests read. Screenshots go to build/test-artifacts/screenshots/airflow-ui-*.png."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from shop_analytics.config import REPO_ROOT
from standin.local_airflow import DAG_ID, DBT_DOCS_DIR, UI_LOGIN

pytestmark = pytest.mark.e2e

MODEL = "fct_orders"
MODEL_TASK = f"transform.marts.sales.{MODEL}"
# The UI renders while the API server shares two busy cores with the scheduler.
UI_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def ui(make_ui):
    assert make_ui.state == "success", f"the scheduled run {make_ui.run_id} {make_ui.state}: see {make_ui.log_path}"
    return make_ui


@pytest.fixture(scope="module")
def dbt_docs(ui):
    """`make docs` on the run's DuckDB file, where `make ui` serves them from, unless already built."""
    if not (DBT_DOCS_DIR / "index.html").exists():
        subprocess.run(
            [
                os.path.join(os.path.dirname(sys.executable), "dbt"),
                "docs",
                "generate",
                "--profiles-dir",
                ".",
                "--target",
                "local",
                "--target-path",
                str(DBT_DOCS_DIR),
                "--quiet",
            ],
            cwd=REPO_ROOT / "include" / "dbt",
            env={**os.environ, "SHOP_ANALYTICS_DUCKDB_PATH": str(ui.duckdb_path)},
            check=True,
        )
    return DBT_DOCS_DIR


def _log_in(page: Page, base_url: str) -> None:
    page.set_default_timeout(UI_TIMEOUT_MS)
    page.goto(f"{base_url}/")
    username, password = UI_LOGIN
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/auth/login" not in url)


def test_the_grid_shows_the_pipelines_task_groups(ui, page: Page, screenshot_dir):
    _log_in(page, ui.base_url)
    page.set_viewport_size({"width": 1600, "height": 2400})
    page.goto(f"{ui.base_url}/dags/{DAG_ID}")
    page.get_by_role("button", name="Expand all task groups").click()
    grid = page.get_by_role("main") if page.get_by_role("main").count() else page
    for group in ("extract", "etsy", "ga4", "instagram", "transform", "sources", "staging", "marts", "sales"):
        expect(grid.get_by_text(group, exact=True).first).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(grid.get_by_text(MODEL, exact=True).first).to_be_visible(timeout=UI_TIMEOUT_MS)
    page.screenshot(path=screenshot_dir / "airflow-ui-grid.png", full_page=True)


def test_a_model_tasks_log_shows_that_models_dbt_output(ui, page: Page, screenshot_dir):
    _log_in(page, ui.base_url)
    page.goto(f"{ui.base_url}/dags/{DAG_ID}/runs/{quote(ui.run_id, safe='')}/tasks/{MODEL_TASK}")
    expect(page.get_by_text(f"model.shop_analytics.{MODEL}: success").first).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_text(f"model.shop_analytics.{MODEL}: all").first).to_be_visible(timeout=UI_TIMEOUT_MS)
    page.screenshot(path=screenshot_dir / "airflow-ui-model-log.png", full_page=True)


def test_the_dbt_docs_page_shows_the_project(ui, dbt_docs, page: Page, screenshot_dir):
    _log_in(page, ui.base_url)
    page.goto(f"{ui.base_url}/cosmos/shop_analytics/dbt_docs_index.html#!/model/model.shop_analytics.{MODEL}")
    expect(page.get_by_role("heading", name=re.compile(rf"^{MODEL}\b")).first).to_be_visible(timeout=UI_TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Columns")).to_be_visible(timeout=UI_TIMEOUT_MS)
    page.screenshot(path=screenshot_dir / "airflow-ui-dbt-docs.png", full_page=True)
