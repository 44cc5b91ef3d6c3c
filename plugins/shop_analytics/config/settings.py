"""Deployment settings, read from environment variables with local defaults.

Composer rejects AIRFLOW__SECTION__KEY variables but accepts these plain ones; on
Composer they point at the bucket's mounted folders (see composer/).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

# plugins/shop_analytics/config/settings.py -> repository root
REPO_ROOT = Path(__file__).resolve().parents[3]
# The one home of every setting the pipeline runs with (why each value: see its comments).
SETTINGS_FILE = Path(__file__).with_name("settings.yaml")


def load_settings_file(path: Path = SETTINGS_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


PIPELINE_SETTINGS = load_settings_file()
DBT_TARGETS = ("local", "bigquery")
DEFAULT_DBT_THREADS: dict[str, int] = PIPELINE_SETTINGS["dbt"]["threads"]
LOCAL_DUCKDB_POOL: str = PIPELINE_SETTINGS["dbt"]["duckdb_pool"]["name"]
# The customer_id pepper (include/dbt/macros/cross_db/hmac.sql) reaches dbt from the Airflow
# Variable customer_id_pepper, i.e. Secret Manager's airflow-variables-customer_id_pepper on
# Composer, rendered when a task runs; unset (locally) dbt falls back to its public local pepper.
CUSTOMER_ID_PEPPER_ENV = {"SHOP_ANALYTICS_CUSTOMER_ID_PEPPER": "{{ var.value.get('customer_id_pepper', '') }}"}
# The DAG's default_args retries (dbt tasks set their own: none).
TASK_RETRIES = {
    "retries": PIPELINE_SETTINGS["retries"]["count"],
    "retry_delay": timedelta(minutes=PIPELINE_SETTINGS["retries"]["delay_minutes"]),
    "max_retry_delay": timedelta(minutes=PIPELINE_SETTINGS["retries"]["max_delay_minutes"]),
}


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
            airbyte_poll_seconds=_positive_int(
                "SHOP_ANALYTICS_AIRBYTE_POLL_SECONDS", PIPELINE_SETTINGS["runtimes"]["composer"]["airbyte_poll_seconds"]
            ),
            dbt_pool=os.environ.get("SHOP_ANALYTICS_DBT_POOL", LOCAL_DUCKDB_POOL if target == "local" else "") or None,
        )


def _positive_int(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name}={value!r} must be a whole number of at least 1")
    return int(value)
