"""Shared dbt fixtures: a DuckDB raw layer landed by the Airbyte stand-in, and dbt run on it.

`dbt_project` is built once per test session (the simulator lands a few days of every
source, then `dbt build` runs on it) and shared by every dbt test module, so the suite
pays for one build. Modules that need their own data (a scenario, another window) call
the `make_dbt_project` factory with a name of their own.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO / "include" / "dbt"
SOURCES_YAML = REPO / "plugins" / "shop_analytics" / "config" / "sources.yaml"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"

# The first sync of a fresh file lands the default scenario's whole history (90 days, two
# shops); the next ones land daily increments with Airbyte's lookback duplicates.
DEFAULT_SYNC_DAYS = tuple(dt.date(2026, 1, 1) + dt.timedelta(days=offset) for offset in range(4))


def source_names() -> list[str]:
    return list(yaml.safe_load(SOURCES_YAML.read_text())["sources"])


class DbtProject:
    """The dbt project pointed at one DuckDB file, with its own target and log folders so
    parallel sessions (and engineers) never share dbt's partial-parse state."""

    def __init__(self, duckdb_path: Path, work_dir: Path) -> None:
        self.duckdb_path = duckdb_path
        self.target_path = work_dir / "target"
        self.log_path = work_dir / "logs"
        self.build_results: list[dict] = []

    def environment(self, target: str = "local", window: tuple[dt.date, dt.date] | None = None) -> dict[str, str]:
        """dbt's environment; `window` is the DAG's data interval [start, end) for incremental models."""
        environment = {
            **os.environ,
            "DBT_TARGET": target,
            "SHOP_ANALYTICS_DUCKDB_PATH": str(self.duckdb_path),
            "DBT_TARGET_PATH": str(self.target_path),
            "DBT_LOG_PATH": str(self.log_path),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        if window is not None:
            environment["SHOP_ANALYTICS_START_DATE"], environment["SHOP_ANALYTICS_END_DATE"] = map(str, window)
        return environment

    def run(
        self,
        *args: str,
        window: tuple[dt.date, dt.date] | None = None,
        target: str = "local",
        check: bool = True,
    ):
        command = [str(DBT_EXECUTABLE), *args, "--profiles-dir", str(DBT_PROJECT_DIR)]
        completed = subprocess.run(
            command,
            cwd=DBT_PROJECT_DIR,
            env=self.environment(target, window),
            capture_output=True,
            text=True,
        )
        if check and completed.returncode != 0:
            output = f"{completed.stdout[-8000:]}\n{completed.stderr[-2000:]}"
            raise AssertionError(f"dbt {' '.join(args)} failed:\n{output}")
        return completed

    def failed_nodes(self, path_prefixes: Iterable[str]) -> dict[str, str]:
        """Nodes of the session build, defined under any of `path_prefixes` (paths in the dbt
        project, e.g. "models/marts/sales/"), that did not pass: unique_id -> status."""
        prefixes = tuple(path_prefixes)
        manifest = json.loads((self.target_path / "manifest.json").read_text())
        paths = {**manifest["nodes"]}
        return {
            result["unique_id"]: result["status"]
            for result in self.build_results
            if paths.get(result["unique_id"], {}).get("original_file_path", "").startswith(prefixes)
            and result["status"] not in ("success", "pass")
        }

    def run_results(self) -> list[dict]:
        """The node results of the last invocation (run_results.json)."""
        return json.loads((self.target_path / "run_results.json").read_text())["results"]

    def query(self, sql: str, parameters: Iterable | None = None) -> list[tuple]:
        with duckdb.connect(str(self.duckdb_path), read_only=True) as connection:
            return connection.execute(sql, parameters or []).fetchall()

    def query_dicts(self, sql: str, parameters: Iterable | None = None) -> list[dict]:
        with duckdb.connect(str(self.duckdb_path), read_only=True) as connection:
            cursor = connection.execute(sql, parameters or [])
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def land_raw(duckdb_path: Path, sync_days: Iterable[dt.date], scenario: str | None = None) -> None:
    """Every source synced once per day, as the DAG's extract tasks would."""
    sync = pytest.importorskip("standin.sync", reason="the Airbyte stand-in (standin.sync) is not there yet")
    for sync_day in sync_days:
        for source_name in source_names():
            sync.run_sync(str(duckdb_path), source_name, sync_day, scenario=scenario)


@pytest.fixture(scope="session")
def make_dbt_project(tmp_path_factory) -> Callable[..., DbtProject]:
    """Factory: a DuckDB file landed for `sync_days` (and an optional simulator scenario),
    then `dbt build` (its results in `build_results`). Same name, same project: built once
    per session."""
    built: dict[str, DbtProject] = {}

    def make(
        name: str,
        sync_days: Iterable[dt.date] = DEFAULT_SYNC_DAYS,
        scenario: str | None = None,
        build: bool = True,
    ) -> DbtProject:
        if name not in built:
            work_dir = tmp_path_factory.mktemp(f"dbt_{name}")
            project = DbtProject(work_dir / "shop_analytics.duckdb", work_dir)
            land_raw(project.duckdb_path, sync_days, scenario)
            if build:
                # Not checked here: one area's failing test must not hide every other
                # area's results. Each module asserts its own nodes (`build_results`).
                project.run("build", check=False)
                project.build_results = project.run_results()
            built[name] = project
        return built[name]

    return make


@pytest.fixture(scope="session")
def dbt_project(make_dbt_project) -> DbtProject:
    """The default simulator history, built once and shared by every dbt test module."""
    return make_dbt_project("default")
