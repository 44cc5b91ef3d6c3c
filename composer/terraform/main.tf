# The platform on Google Cloud: APIs, identities, BigQuery datasets, secrets and the
# Cloud Composer 3 environment. Settings come from the files `make composer-env` derives
# from plugins/shop_analytics/config/settings.yaml: one home per setting.

locals {
  repo_root = "${path.module}/../.."

  # `name==version` lines of requirements.txt -> {name = "==version"}, as Composer takes them.
  pypi_packages = {
    for line in split("\n", file("${local.repo_root}/requirements.txt")) :
    lower(split("==", trimspace(line))[0]) => "==${split("==", trimspace(line))[1]}"
    if length(regexall("^[A-Za-z0-9_.-]+==", trimspace(line))) > 0
  }

  # `KEY=value` lines of a derived .env file -> map (comments and blank lines skipped;
  # values may hold `=`, JSON settings do).
  airflow_config_overrides = {
    for line in split("\n", file("${path.module}/../airflow_config_overrides.env")) :
    split("=", line)[0] => join("=", slice(split("=", line), 1, length(split("=", line))))
    if length(regexall("^[a-z]", line)) > 0
  }
  settings_env_variables = {
    for line in split("\n", file("${path.module}/../environment_variables.env")) :
    split("=", line)[0] => join("=", slice(split("=", line), 1, length(split("=", line))))
    if length(regexall("^[A-Z]", line)) > 0
  }
  env_variables = merge(local.settings_env_variables, {
    SHOP_ANALYTICS_GCP_PROJECT = var.project_id
    SHOP_ANALYTICS_BQ_LOCATION = var.bigquery_location
  })

  services = ["composer.googleapis.com", "bigquery.googleapis.com", "secretmanager.googleapis.com", "iam.googleapis.com"]
}

data "google_project" "this" {
  project_id = var.project_id
}

resource "google_project_service" "required" {
  for_each           = toset(local.services)
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

resource "google_composer_environment" "shop_analytics" {
  name    = var.environment_name
  project = var.project_id
  region  = var.region
  labels  = var.labels

  config {
    environment_size = "ENVIRONMENT_SIZE_SMALL"

    software_config {
      image_version            = var.composer_image_version
      pypi_packages            = local.pypi_packages
      airflow_config_overrides = local.airflow_config_overrides
      env_variables            = local.env_variables
    }

    node_config {
      service_account = google_service_account.composer_worker.email
    }
  }

  depends_on = [
    google_project_service.required,
    google_project_iam_member.composer_worker,
    google_service_account_iam_member.composer_service_agent,
  ]
}
