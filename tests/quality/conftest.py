"""Fixtures of the data-quality suite: one landed and published raw layer per session,
copied for each case, and dbt run the way the DAG runs it (build, then publish only if
every node passed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from shop_analytics.publish import REPORTING_SCHEMA, REPORTING_TABLES, publish_command
from tests.dbt.conftest import DEFAULT_SYNC_DAYS, DbtProject, land_raw


def build_and_publish(project: DbtProject, *build_args: str):
    """`dbt build`, then the publish operation only if the build passed (the DAG's trigger
    rule all_success). Returns the build's completed process."""
    built = project.run("build", *build_args, check=False)
    project.build_results = project.run_results()  # run_results.json is the publish's next
    if built.returncode == 0:
        project.run(*publish_command())
    return built


def reporting_checksums(duckdb_path: Path) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent checksum of every reporting table."""
    with duckdb.connect(str(duckdb_path), read_only=True) as connection:
        return {
            table: connection.execute(
                f"""
                select count(*), md5(coalesce(string_agg(row_hash, '' order by row_hash), ''))
                from (select md5(cast(published as varchar)) as row_hash
                      from {REPORTING_SCHEMA}.{table} as published)
                """
            ).fetchone()
            for table in REPORTING_TABLES
        }


def failed_nodes(project: DbtProject) -> dict[str, str]:
    """unique_id -> status of the last build's nodes that did not pass (warnings pass)."""
    return {
        result["unique_id"]: result["status"]
        for result in project.build_results
        if result["status"] in ("fail", "error", "skipped", "runtime error")
    }


@pytest.fixture(scope="session")
def published_base(tmp_path_factory) -> DbtProject:
    """The default simulator history landed, built, tested and published once."""
    work_dir = tmp_path_factory.mktemp("quality_base")
    project = DbtProject(work_dir / "shop_analytics.duckdb", work_dir)
    land_raw(project.duckdb_path, DEFAULT_SYNC_DAYS)
    built = build_and_publish(project)
    assert built.returncode == 0, f"the base build failed:\n{built.stdout[-6000:]}"
    return project


@pytest.fixture(scope="session")
def case_dir(tmp_path_factory) -> Path:
    """One folder every case works in, in turn: the DuckDB path stays the same, so dbt's
    partial parse (keyed on the profile) is reused from case to case."""
    return tmp_path_factory.mktemp("quality_case")


@pytest.fixture
def copy_of_base(published_base, case_dir) -> DbtProject:
    """A fresh copy of the published base in the shared case folder."""
    project = DbtProject(case_dir / "shop_analytics.duckdb", case_dir)
    project.duckdb_path.unlink(missing_ok=True)
    shutil.copy(published_base.duckdb_path, project.duckdb_path)
    return project
