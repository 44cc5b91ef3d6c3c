# Secrets the DAG reads through Airflow's Secret Manager backend (settings.yaml:
# connections_prefix airflow-connections, variables_prefix airflow-variables, sep "-").
# Terraform creates the secrets; their values are set once by hand (composer/README.md,
# step 3) so they never sit in Terraform state. With manage_airbyte, Terraform writes the
# connection ids itself.

locals {
  secrets = {
    # The Airbyte API client: connection airbyte_default (host, client id and secret, timeout).
    "airflow-connections-airbyte_default" = "Airflow connection airbyte_default: Airbyte API URL, client id and client secret (JSON)."
    # Airbyte connection id per source: Variable airbyte_connection_ids.
    "airflow-variables-airbyte_connection_ids" = "Airflow Variable airbyte_connection_ids: {\"etsy\": id, \"ga4\": id, \"instagram\": id}."
    # The pepper of customer_id's keyed hash: Variable customer_id_pepper.
    "airflow-variables-customer_id_pepper" = "Airflow Variable customer_id_pepper: 32 random bytes as hex (openssl rand -hex 32). Changing it changes every customer_id."
  }
}

resource "google_secret_manager_secret" "pipeline" {
  for_each  = local.secrets
  project   = var.project_id
  secret_id = each.key
  labels    = var.labels
  annotations = {
    purpose = each.value
  }

  replication {
    auto {}
  }

  depends_on = [google_project_service.required]
}

# The workers read each secret; nobody else is granted anything.
resource "google_secret_manager_secret_iam_member" "worker_reads" {
  for_each  = local.secrets
  project   = var.project_id
  secret_id = google_secret_manager_secret.pipeline[each.key].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.composer_worker.email}"
}
