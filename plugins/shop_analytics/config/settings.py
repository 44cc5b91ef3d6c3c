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


@dataclass(frozen=True)
class Settings:
    dbt_project_dir: Path
    dbt_manifest_path: Path
    dbt_target: str
    duckdb_path: Path
    gcp_conn_id: str
    airbyte_conn_id: str

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
        )
