"""Browser tests drive the Chromium that Debian ships (`make browser` installs it).

Playwright cannot download its own browser build on these machines, so every test here
launches the system binary; screenshots are kept under build/test-artifacts/screenshots.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from shop_analytics.config import REPO_ROOT

SCREENSHOT_DIR = REPO_ROOT / "build" / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise RuntimeError("no chromium on PATH: run `make browser` (installs Debian's chromium package)")
    return {**browser_type_launch_args, "executable_path": chromium, "args": ["--no-sandbox"]}


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR
