# Optional (var.manage_airbyte): the BigQuery destination and one connection per source in
# Airbyte, their ids written to the airflow-variables-airbyte_connection_ids secret the DAG
# reads. The sources themselves are created in Airbyte's UI (OAuth consent for GA4 and
# Instagram; the Etsy connector is a custom one) and passed in as var.airbyte_source_ids.

resource "google_service_account_key" "airbyte_destination" {
  count              = var.manage_airbyte ? 1 : 0
  service_account_id = google_service_account.airbyte_destination.name
}

resource "airbyte_destination_bigquery" "raw" {
  for_each     = var.manage_airbyte ? var.airbyte_source_ids : {}
  name         = "shop-analytics-bigquery-${each.key}"
  workspace_id = var.airbyte_workspace_id
  configuration = {
    project_id       = var.project_id
    dataset_id       = google_bigquery_dataset.layer["raw_${each.key}"].dataset_id
    dataset_location = var.bigquery_location
    credentials_json = base64decode(google_service_account_key.airbyte_destination[0].private_key)
  }
}

resource "airbyte_connection" "source" {
  for_each             = var.manage_airbyte ? var.airbyte_source_ids : {}
  name                 = "shop-analytics-${each.key}"
  source_id            = each.value
  destination_id       = airbyte_destination_bigquery.raw[each.key].destination_id
  namespace_definition = "destination"
  # The DAG triggers every sync: Airbyte's own schedule stays manual.
  schedule = {
    schedule_type = "manual"
  }
}

resource "google_secret_manager_secret_version" "airbyte_connection_ids" {
  count       = var.manage_airbyte ? 1 : 0
  secret      = google_secret_manager_secret.pipeline["airflow-variables-airbyte_connection_ids"].id
  secret_data = jsonencode({ for name, connection in airbyte_connection.source : name => connection.connection_id })
}
