"""The environments each runtime gets, derived from settings.yaml (the one home of every
setting): Composer's config overrides and variables, docker-compose's and the local
runner's environment.

`python -m shop_analytics.config.environments` (`make composer-env`) writes the derived
files; `--check` fails naming each stale one (tests and CI run it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shop_analytics.config.settings import PIPELINE_SETTINGS, REPO_ROOT

RUNTIMES = ("composer", "docker_compose", "local_runner")
COMPOSER_OVERRIDES_FILE = REPO_ROOT / "composer" / "airflow_config_overrides.env"
COMPOSER_VARIABLES_FILE = REPO_ROOT / "composer" / "environment_variables.env"
DOCKER_COMPOSE_ENV_FILE = REPO_ROOT / "docker-compose.env"
HEADER = "# Derived from plugins/shop_analytics/config/settings.yaml by `make composer-env`: edit that, not this.\n"


def airflow_settings(runtime: str) -> dict[str, dict[str, str]]:
    """{section: {key: value}}: the settings every runtime shares, then the runtime's own."""
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}; settings.yaml knows {RUNTIMES}")
    merged: dict[str, dict[str, str]] = {}
    for scope in ("everywhere", runtime):
        for section, values in (PIPELINE_SETTINGS["airflow"].get(scope) or {}).items():
            merged.setdefault(section, {}).update({key: str(value) for key, value in values.items()})
    return merged


def composer_config_overrides() -> dict[str, str]:
    """Composer's `section-key` form: it rejects AIRFLOW__SECTION__KEY variables."""
    sections = airflow_settings("composer")
    return {f"{section}-{key}": value for section, values in sections.items() for key, value in values.items()}


def runtime_environment(runtime: str) -> dict[str, str]:
    """Plain environment variables Settings.from_env reads, plus (outside Composer) Airflow's."""
    runtime_settings = PIPELINE_SETTINGS["runtimes"][runtime]
    target = runtime_settings["dbt_target"]
    environment = {
        "DBT_TARGET": target,
        "DBT_THREADS": str(PIPELINE_SETTINGS["dbt"]["threads"][target]),
        "SHOP_ANALYTICS_AIRBYTE_POLL_SECONDS": str(runtime_settings["airbyte_poll_seconds"]),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    if runtime == "composer":
        return {**environment, **PIPELINE_SETTINGS["composer_environment"]}
    if target == "local":
        # DuckDB's single writer: the pool every dbt task takes (docker-compose creates it by this name).
        environment["SHOP_ANALYTICS_DBT_POOL"] = PIPELINE_SETTINGS["dbt"]["duckdb_pool"]["name"]
    return environment | {
        f"AIRFLOW__{section.upper()}__{key.upper()}": value
        for section, values in airflow_settings(runtime).items()
        for key, value in values.items()
    }


def _env_file(values: dict[str, str]) -> str:
    return HEADER + "".join(f"{name}={value}\n" for name, value in values.items())


def derived_files() -> dict[Path, str]:
    return {
        COMPOSER_OVERRIDES_FILE: _env_file(composer_config_overrides()),
        COMPOSER_VARIABLES_FILE: _env_file(runtime_environment("composer")),
        DOCKER_COMPOSE_ENV_FILE: _env_file(runtime_environment("docker_compose")),
    }


def stale_files() -> list[Path]:
    return [path for path, text in derived_files().items() if not path.is_file() or path.read_text() != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a derived file differs from settings.yaml")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"{path.relative_to(REPO_ROOT)} is stale: run `make composer-env` and commit it", file=sys.stderr)
        return 1 if stale else 0
    for path, text in derived_files().items():
        changed = not path.is_file() or path.read_text() != text
        path.write_text(text)
        print(f"{'wrote' if changed else 'unchanged'} {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
