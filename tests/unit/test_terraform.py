"""composer/terraform, checked without a Terraform binary (none can be installed here): the
HCL parses (python-hcl2) and has the structure least privilege and the DAG need. checkov
scans the same files in `make lint` (`make checkov`)."""

from __future__ import annotations

import re

import hcl2
import pytest

from shop_analytics.config import REPO_ROOT, Settings
from shop_analytics.config.settings import CUSTOMER_ID_PEPPER_ENV, PIPELINE_SETTINGS
from shop_analytics.extract.connection_ids import CONNECTION_IDS_VARIABLE

TERRAFORM_DIR = REPO_ROOT / "composer" / "terraform"
FORBIDDEN_ROLES = {"roles/editor", "roles/owner", "roles/bigquery.admin"}
REQUIRED_DATASETS = {"raw_etsy", "raw_ga4", "raw_instagram", "staging", "intermediate", "marts", "reporting"}


def _unquote(value):
    """python-hcl2 keeps HCL's quotes on block labels and string literals: drop them."""
    if isinstance(value, dict):
        return {_unquote(key): _unquote(item) for key, item in value.items() if key != "__comments__"}
    if isinstance(value, list):
        return [_unquote(item) for item in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@pytest.fixture(scope="module")
def terraform() -> dict[str, list]:
    merged: dict[str, list] = {}
    for path in sorted(TERRAFORM_DIR.glob("*.tf")):
        with path.open() as handle:
            for key, blocks in _unquote(hcl2.load(handle)).items():
                merged.setdefault(key, []).extend(blocks)
    return merged


def _resources(terraform: dict, resource_type: str) -> dict[str, dict]:
    return {name: body for block in terraform["resource"] for name, body in block.get(resource_type, {}).items()}


def _locals(terraform: dict) -> dict:
    return {key: value for block in terraform["locals"] for key, value in block.items()}


def _text() -> str:
    return "\n".join(path.read_text() for path in sorted(TERRAFORM_DIR.glob("*.tf")))


def test_google_provider_is_at_least_6(terraform):
    google = terraform["terraform"][0]["required_providers"][0]["google"]
    assert google["source"] == "hashicorp/google"
    assert re.match(r">= ?6\.", google["version"]), google["version"]


def test_composer_3_small_environment_runs_as_the_worker_account_with_the_settings_files(terraform):
    environment = _resources(terraform, "google_composer_environment")["shop_analytics"]
    config = environment["config"][0]
    assert config["environment_size"] == "ENVIRONMENT_SIZE_SMALL"
    software = config["software_config"][0]
    assert software["image_version"] == "${var.composer_image_version}"
    variables = {name: body for block in terraform["variable"] for name, body in block.items()}
    assert variables["composer_image_version"]["default"] == "composer-3-airflow-3.2.2-build.1"
    assert software["airflow_config_overrides"] == "${local.airflow_config_overrides}"
    assert software["pypi_packages"] == "${local.pypi_packages}"
    assert "google_service_account.composer_worker.email" in config["node_config"][0]["service_account"]
    text = _text()
    for derived in ("../airflow_config_overrides.env", "../environment_variables.env", "/requirements.txt"):
        assert derived in text, f"the environment does not read {derived}"


def test_every_dataset_exists_in_one_location_with_labels(terraform):
    dataset = _resources(terraform, "google_bigquery_dataset")["layer"]
    assert dataset["location"] == "${var.bigquery_location}"
    assert "labels" in dataset and "default_partition_expiration_ms" in dataset
    local_values = _locals(terraform)
    assert set(local_values["raw_datasets"]) | set(local_values["dbt_datasets"]) >= REQUIRED_DATASETS


def test_dataset_roles_are_scoped_to_their_datasets(terraform):
    local_values = _locals(terraform)
    bindings = _resources(terraform, "google_bigquery_dataset_iam_member")
    for name, binding in bindings.items():
        assert binding["dataset_id"].startswith("${google_bigquery_dataset.layer["), f"{name} is not dataset-scoped"
    assert bindings["worker_reads"]["role"] == "roles/bigquery.dataViewer"
    assert bindings["worker_reads"]["for_each"] == "${toset(local.worker_reads)}"
    assert local_values["worker_reads"] == "${keys(local.raw_datasets)}"
    assert bindings["worker_writes"]["role"] == "roles/bigquery.dataEditor"
    assert local_values["worker_writes"] == "${keys(local.dbt_datasets)}"
    assert bindings["airbyte_writes"]["for_each"] == "${toset(keys(local.raw_datasets))}"
    assert "airbyte_destination" in bindings["airbyte_writes"]["member"]
    looker = bindings["looker_studio_reads"]
    assert looker["role"] == "roles/bigquery.dataViewer"
    assert looker["dataset_id"] == '${google_bigquery_dataset.layer["reporting"].dataset_id}'


def test_no_project_wide_data_roles_and_no_broad_roles_anywhere(terraform):
    project_roles = set()
    for binding in _resources(terraform, "google_project_iam_member").values():
        roles = re.findall(r"roles/[A-Za-z.]+", str(binding["role"]) + str(binding.get("for_each", "")))
        project_roles.update(roles)
    assert project_roles == {"roles/composer.worker", "roles/bigquery.jobUser"}
    for resource_type in ("google_project_iam_binding", "google_project_iam_policy"):
        assert not _resources(terraform, resource_type), f"{resource_type} is authoritative on the whole project"
    assert not FORBIDDEN_ROLES & set(re.findall(r"roles/[A-Za-z.]+", _text()))


def test_every_secret_the_dag_reads_exists_and_only_the_worker_reads_it(terraform):
    backend = PIPELINE_SETTINGS["airflow"]["composer"]["secrets"]
    assert backend["backend"].endswith("CloudSecretManagerBackend")
    kwargs = __import__("json").loads(backend["backend_kwargs"])
    secrets = set(_locals(terraform)["secrets"])
    expected = {
        f"{kwargs['connections_prefix']}{kwargs['sep']}{Settings.from_env().airbyte_conn_id}",
        f"{kwargs['variables_prefix']}{kwargs['sep']}{CONNECTION_IDS_VARIABLE}",
        f"{kwargs['variables_prefix']}{kwargs['sep']}customer_id_pepper",
    }
    assert "customer_id_pepper" in CUSTOMER_ID_PEPPER_ENV["SHOP_ANALYTICS_CUSTOMER_ID_PEPPER"]
    assert secrets == expected
    access = _resources(terraform, "google_secret_manager_secret_iam_member")
    assert [binding["role"] for binding in access.values()] == ["roles/secretmanager.secretAccessor"]
    assert "composer_worker" in access["worker_reads"]["member"]


def test_every_variable_is_typed_described_and_used(terraform):
    variables = {name: body for block in terraform["variable"] for name, body in block.items()}
    text = _text()
    used = set(re.findall(r"\bvar\.([a-z_0-9]+)", text))
    for name, body in variables.items():
        assert body.get("type") and body.get("description"), f"variable {name} lacks a type or description"
        uses = len(re.findall(rf"\bvar\.{name}\b", text)) - sum(
            len(re.findall(rf"\bvar\.{name}\b", str(rule))) for rule in body.get("validation", [])
        )
        assert uses > 0, f"variable {name} is declared but never used"
    assert used <= set(variables), f"undeclared variables: {used - set(variables)}"


def test_outputs_name_the_bucket_accounts_and_looker_studio_dataset(terraform):
    outputs = {name for block in terraform["output"] for name in block}
    assert {
        "composer_bucket",
        "composer_worker_service_account",
        "airbyte_destination_service_account",
        "looker_studio_data_source",
    } <= outputs


def test_every_checkov_skip_is_justified_on_its_line():
    skips = re.findall(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?", _text())
    assert skips, "no skips parsed: the pattern is wrong"
    for check, reason in skips:
        assert reason and len(reason.split()) >= 8, f"checkov skip {check} has no real justification"


def test_checkov_pins_are_exact():
    lines = [
        line
        for line in (TERRAFORM_DIR / "requirements-checkov.txt").read_text().splitlines()
        if line and line[0] != "#"
    ]
    assert "checkov==3.3.30" in lines
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][^\s]*", line) for line in lines), "every package pinned exactly"


def test_terraform_reads_every_requirement_it_installs():
    """main.tf keeps only `name==version` lines of requirements.txt: any other form of a
    requirement (extras, ranges) would be dropped from the environment without a word."""
    lines = [line.strip() for line in (REPO_ROOT / "requirements.txt").read_text().splitlines()]
    requirements = [line for line in lines if line and not line.startswith("#")]
    assert requirements
    unread = [line for line in requirements if not re.fullmatch(r"[A-Za-z0-9_.-]+==\S+", line)]
    assert not unread, f"Terraform's pypi_packages would drop {unread}: pin them as name==version"
