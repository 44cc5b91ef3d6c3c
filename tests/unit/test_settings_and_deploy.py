"""One home per setting (plugins/shop_analytics/config/settings.yaml): the Composer files,
docker-compose's and the local runner's environments are derived from it and kept fresh;
`make deploy --dry-run` prints every cloud command and runs none."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shop_analytics.config import REPO_ROOT, environments
from shop_analytics.config.settings import PIPELINE_SETTINGS, TASK_RETRIES, load_settings_file
from standin.local_airflow import LocalAirflow

# Settings the issue found copied in several places, in the forms their copies took
# (environment variable or Composer override): only settings.yaml may give them a value now.
ONE_HOME = (
    "AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY",
    "cosmos-enable_watcher_reliable_retry",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY",
    "SHOP_ANALYTICS_AIRBYTE_POLL_SECONDS",
    "DBT_TARGET=",
    "DBT_TARGET:",
)
# Their one reader (Settings.from_env) and their one writer (the derivation).
READER_AND_DERIVER = {"plugins/shop_analytics/config/settings.py", "plugins/shop_analytics/config/environments.py"}
CODE_AND_DEPLOY_FILES = [
    *(REPO_ROOT / "plugins").rglob("*.py"),
    *(REPO_ROOT / "dags").rglob("*.py"),
    *(REPO_ROOT / "standin").rglob("*.py"),
    REPO_ROOT / "docker-compose.yaml",
    REPO_ROOT / "composer" / "deploy.py",
]


def test_checked_in_derived_files_are_fresh():
    stale = environments.stale_files()
    assert not stale, f"stale: {[str(p.relative_to(REPO_ROOT)) for p in stale]}; run `make composer-env` and commit"


def test_a_changed_setting_makes_its_derived_files_stale(monkeypatch):
    changed = load_settings_file()
    changed["runtimes"]["composer"]["airbyte_poll_seconds"] = 61
    changed["airflow"]["everywhere"]["cosmos"]["enable_watcher_reliable_retry"] = "True"
    monkeypatch.setattr(environments, "PIPELINE_SETTINGS", changed)
    stale = set(environments.stale_files())
    assert stale == {
        environments.COMPOSER_VARIABLES_FILE,
        environments.COMPOSER_OVERRIDES_FILE,
        environments.DOCKER_COMPOSE_ENV_FILE,
    }
    assert (
        "SHOP_ANALYTICS_AIRBYTE_POLL_SECONDS=61\n" in environments.derived_files()[environments.COMPOSER_VARIABLES_FILE]
    )


def test_composer_gets_section_key_overrides_and_no_airflow_variables():
    overrides = environments.composer_config_overrides()
    assert overrides["cosmos-enable_watcher_reliable_retry"] == "False"
    assert overrides["secrets-backend"].endswith("secret_manager.CloudSecretManagerBackend")
    variables = environments.runtime_environment("composer")
    assert not [name for name in variables if name.startswith("AIRFLOW__")], "Composer rejects AIRFLOW__ variables"
    assert variables["DBT_TARGET"] == "bigquery"
    assert variables["DBT_THREADS"] == str(PIPELINE_SETTINGS["dbt"]["threads"]["bigquery"])


def test_the_local_runner_runs_with_the_settings_file(tmp_path):
    env = LocalAirflow(tmp_path / "airflow", tmp_path / "db.duckdb").env("http://localhost:1/v1/", "id", "secret")
    for name, value in environments.runtime_environment("local_runner").items():
        assert env[name] == value, f"the local runner's {name} is not settings.yaml's"
    assert env["AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY"] == "False"


def test_dag_retries_come_from_the_settings_file():
    assert TASK_RETRIES["retries"] == PIPELINE_SETTINGS["retries"]["count"]
    dag_source = (REPO_ROOT / "dags" / "etsy_shop_analytics.py").read_text()
    assert "**TASK_RETRIES" in dag_source and '"retries":' not in dag_source


@pytest.mark.parametrize("setting", ONE_HOME)
def test_each_named_setting_has_one_home(setting):
    homes = {str(path.relative_to(REPO_ROOT)) for path in CODE_AND_DEPLOY_FILES if setting in path.read_text()}
    assert homes <= READER_AND_DERIVER, f"{setting} is also set in {sorted(homes - READER_AND_DERIVER)}"


def test_docker_compose_takes_its_environment_from_the_derived_file():
    compose = yaml.safe_load((REPO_ROOT / "docker-compose.yaml").read_text())
    airflow = compose["services"]["airflow"]
    assert airflow["env_file"] == environments.DOCKER_COMPOSE_ENV_FILE.name
    derived = environments.runtime_environment("docker_compose")
    assert not set(airflow["environment"]) & set(derived), "a setting is set both in the env file and inline"
    assert derived["AIRFLOW__COSMOS__ENABLE_WATCHER_RELIABLE_RETRY"] == "False"
    for name, service in compose["services"].items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name} runs an unpinned image {image}"
        assert service.get("build") or image == compose["services"]["airbyte-standin"]["image"], (
            f"{name} runs an image not built from the pinned Dockerfile"
        )


def _dry_run(*args: str) -> list[str]:
    # Only the interpreter's own directory on PATH: no gcloud or terraform to run by mistake.
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT / "plugins"), str(REPO_ROOT)])
    completed = subprocess.run(
        [sys.executable, str(REPO_ROOT / "composer" / "deploy.py"), "--dry-run", "--environment", "shop-analytics",
         "--location", "europe-west1", "--project", "my-project", *args],
        capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=60,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert "Dry run: nothing ran" in completed.stdout
    return [line[2:] for line in completed.stdout.splitlines() if line.startswith("+ ")]


def test_deploy_dry_run_prints_every_gcloud_command():
    commands = _dry_run()
    joined = "\n".join(commands)
    assert all(re.match(r"(gcloud|make) ", command) for command in commands), joined
    overrides = next(command for command in commands if "--update-airflow-configs" in command)
    for name, value in environments.composer_config_overrides().items():
        assert f"{name}={value}" in overrides.replace("'\"'\"'", "'"), f"override {name} not applied"
    variables = next(command for command in commands if "--update-env-variables" in command)
    assert "SHOP_ANALYTICS_GCP_PROJECT=my-project" in variables and "DBT_TARGET=bigquery" in variables
    assert "--update-pypi-packages-from-file requirements.txt" in joined
    for destination in ("/plugins/shop_analytics", "/dags/", "/data/dbt", "/data/dbt-docs"):
        assert re.search(rf"gcloud storage (rsync|cp) .* gs://\S+{destination}$", joined, re.M), destination
    assert joined.index("make manifest") < joined.index("/data/dbt\n")


def test_deploy_dry_run_with_terraform_applies_then_syncs_without_gcloud_updates():
    commands = _dry_run("--terraform")
    assert commands[0].startswith("terraform -chdir=composer/terraform init")
    assert "-var=project_id=my-project" in commands[1] and commands[1].startswith(
        "terraform -chdir=composer/terraform apply"
    )
    assert not [command for command in commands if " update " in command], "Terraform owns the environment's settings"
    assert any(command.startswith("gcloud storage rsync") for command in commands)
