"""Deployment settings, read from environment variables with local defaults.

Composer rejects AIRFLOW__SECTION__KEY variables but accepts these plain ones; on
Composer they point at the bucket's mounted folders (see composer/).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# plugins/shop_analytics/config/settings.py -> repository root
REPO_ROOT = Path(__file__).resolve().parents[3]

DBT_TARGETS = ("local", "bigquery")
# Threads of the one `dbt build` per run: DuckDB is bound by the 2-4 cores of a laptop or
# Composer worker, BigQuery by the jobs it runs at once.
DEFAULT_DBT_THREADS = {"local": 4, "bigquery": 8}
# DuckDB allows one writing process: every dbt task of the local target takes this pool's
# single slot (standin.local_airflow creates it). BigQuery needs no pool.
LOCAL_DUCKDB_POOL = "duckdb_writer"


@dataclass(frozen=True)
class Settings:
    dbt_project_dir: Path
    dbt_manifest_path: Path
    dbt_target: str
    duckdb_path: Path
    gcp_conn_id: str
    airbyte_conn_id: str
    dbt_threads: int
    dbt_pool: str | None
    airbyte_poll_seconds: int

    @classmethod
    def from_env(cls) -> Settings:
        project_dir = Path(os.environ.get("SHOP_ANALYTICS_DBT_PROJECT_DIR", REPO_ROOT / "include" / "dbt"))
        target = os.environ.get("DBT_TARGET", "local")
        if target not in DBT_TARGETS:
            raise ValueError(
                f"DBT_TARGET={target!r} is not a target of include/dbt/profiles.yml; use one of {DBT_TARGETS}"
            )
        return cls(
            dbt_project_dir=project_dir,
            dbt_manifest_path=Path(
                os.environ.get("SHOP_ANALYTICS_DBT_MANIFEST", project_dir / "target" / "manifest.json")
            ),
            dbt_target=target,
            duckdb_path=Path(
                os.environ.get("SHOP_ANALYTICS_DUCKDB_PATH", REPO_ROOT / "data" / "shop_analytics.duckdb")
            ),
            gcp_conn_id=os.environ.get("SHOP_ANALYTICS_GCP_CONN_ID", "google_cloud_default"),
            airbyte_conn_id=os.environ.get("SHOP_ANALYTICS_AIRBYTE_CONN_ID", "airbyte_default"),
            dbt_threads=_positive_int("DBT_THREADS", DEFAULT_DBT_THREADS[target]),
            airbyte_poll_seconds=_positive_int("SHOP_ANALYTICS_AIRBYTE_POLL_SECONDS", 60),
            dbt_pool=os.environ.get("SHOP_ANALYTICS_DBT_POOL", LOCAL_DUCKDB_POOL if target == "local" else "") or None,
        )


def _positive_int(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name}={value!r} must be a whole number of at least 1")
    return int(value)
