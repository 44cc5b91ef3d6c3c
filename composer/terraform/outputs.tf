output "composer_bucket" {
  description = "The environment's bucket (gs://...): `make deploy` syncs dags/, plugins/ and data/ there."
  value       = trimsuffix(google_composer_environment.shop_analytics.config[0].dag_gcs_prefix, "/dags")
}

output "composer_environment" {
  description = "Name and region of the Composer environment (make deploy COMPOSER_ENVIRONMENT=... COMPOSER_LOCATION=...)."
  value       = { name = google_composer_environment.shop_analytics.name, region = var.region }
}

output "airflow_uri" {
  description = "The Airflow UI of the environment."
  value       = google_composer_environment.shop_analytics.config[0].airflow_uri
}

output "composer_worker_service_account" {
  description = "The identity dbt and the DAG run as."
  value       = google_service_account.composer_worker.email
}

output "airbyte_destination_service_account" {
  description = "The identity Airbyte's BigQuery destination writes the raw datasets as."
  value       = google_service_account.airbyte_destination.email
}

output "looker_studio_data_source" {
  description = "Project and dataset a Looker Studio BigQuery data source points at (Linking API ds.<alias>.projectId / datasetId)."
  value       = { project_id = var.project_id, dataset_id = google_bigquery_dataset.layer["reporting"].dataset_id }
}

output "airbyte_connection_ids" {
  description = "Airbyte connection id per source (manage_airbyte only); also written to the airflow-variables-airbyte_connection_ids secret."
  value       = { for name, connection in airbyte_connection.source : name => connection.connection_id }
}
