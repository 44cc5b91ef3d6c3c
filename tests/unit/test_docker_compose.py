"""docker-compose.yaml cannot run here (no Docker engine): validate it against the Compose
specification and check that what it refers to exists and agrees with the project."""

import json
import os
import re
import shlex
import subprocess
import sys

import pytest
import yaml
from compose_spec import PyCompose

from shop_analytics.config import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yaml"


@pytest.fixture(scope="module")
def compose() -> dict:
    text = COMPOSE_FILE.read_text()
    PyCompose.from_yaml(text)  # raises ValueError naming the offending key on any spec violation
    return yaml.safe_load(text)


def test_compose_file_follows_the_compose_specification(compose):
    assert set(compose["services"]) == {"airflow", "airbyte-standin"}


def test_bind_mounts_exist_in_the_repository(compose):
    for name, service in compose["services"].items():
        for volume in service["volumes"]:
            host_path = volume.split(":")[0]
            if host_path != "./data":  # created by the first run
                assert (REPO_ROOT / host_path).is_dir(), f"{name} mounts missing {host_path}"


def test_airflow_reaches_the_standin_where_it_listens(compose):
    standin = compose["services"]["airbyte-standin"]
    args = shlex.split(standin["command"])
    port = args[args.index("--port") + 1]
    connection = json.loads(compose["services"]["airflow"]["environment"]["AIRFLOW_CONN_AIRBYTE_DEFAULT"])
    assert connection["host"] == f"http://airbyte-standin:{port}/v1/"
    assert connection["login"] == args[args.index("--client-id") + 1]
    assert connection["password"] == args[args.index("--client-secret") + 1]
    assert f"localhost:{port}/v1/health" in " ".join(standin["healthcheck"]["test"])


def test_standin_command_line_is_accepted_by_the_standin(compose):
    args = shlex.split(compose["services"]["airbyte-standin"]["command"])
    assert args[:3] == ["python", "-m", "standin.airbyte_api"]
    python_path = os.pathsep.join([str(REPO_ROOT / "plugins"), str(REPO_ROOT)])
    usage = subprocess.run(
        [sys.executable, "-m", "standin.airbyte_api", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": python_path},
    ).stdout
    for flag in (arg for arg in args[3:] if arg.startswith("--")):
        assert flag in usage, f"standin.airbyte_api has no {flag}"


def test_image_installs_what_composer_installs_at_the_locked_versions():
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert "FROM apache/airflow:3.2.2-python3.11" in dockerfile
    assert "-r /tmp/requirements.txt" in dockerfile
    lock = (REPO_ROOT / "uv.lock").read_text()
    for name, version in re.findall(r"([a-z][a-z0-9-]+)==([0-9][^\s]*)", dockerfile):
        assert f'name = "{name}"\nversion = "{version}"' in lock, f"Dockerfile pins {name}=={version}, uv.lock differs"


def test_airflow_service_creates_the_duckdb_writer_pool(compose):
    from shop_analytics.config.environments import runtime_environment
    from shop_analytics.config.settings import LOCAL_DUCKDB_POOL

    startup = " ".join(compose["services"]["airflow"]["command"])
    # `$$` is Compose's escape for the shell's `$`: the name comes from docker-compose.env.
    assert 'airflow pools set "$$SHOP_ANALYTICS_DBT_POOL" 1' in startup, "dbt tasks would wait for a missing pool"
    assert runtime_environment("docker_compose")["SHOP_ANALYTICS_DBT_POOL"] == LOCAL_DUCKDB_POOL
