# Least privilege: each identity gets what its job needs, scoped to the datasets or secrets
# it touches. No project-wide editor, owner or BigQuery admin anywhere.

locals {
  # dbt builds these (Data Editor): every dbt dataset.
  worker_writes = keys(local.dbt_datasets)
  # dbt reads the raw datasets (Data Viewer).
  worker_reads = keys(local.raw_datasets)
}

resource "google_service_account" "composer_worker" {
  project      = var.project_id
  account_id   = "shop-analytics-composer"
  display_name = "Cloud Composer workers of the Etsy shop analytics pipeline (runs dbt)"
}

resource "google_service_account" "airbyte_destination" {
  project      = var.project_id
  account_id   = "shop-analytics-airbyte"
  display_name = "Airbyte's BigQuery destination: writes the raw datasets only"
}

# Composer 3 runs its workers as this account (roles/composer.worker), and dbt's BigQuery
# queries are jobs billed to the project (roles/bigquery.jobUser): the two project roles.
resource "google_project_iam_member" "composer_worker" {
  #checkov:skip=CKV_GCP_49:Composer 3 requires roles/composer.worker on the project for its environment's own service account (it lets the workers act as themselves); no other account receives it
  for_each = toset(["roles/composer.worker", "roles/bigquery.jobUser"])
  project  = var.project_id
  role     = each.value
  member   = "serviceAccount:${google_service_account.composer_worker.email}"
}

# Composer's service agent must be able to act as the worker account (Composer 3 requirement).
resource "google_service_account_iam_member" "composer_service_agent" {
  service_account_id = google_service_account.composer_worker.name
  role               = "roles/composer.ServiceAgentV2Ext"
  member             = "serviceAccount:service-${data.google_project.this.number}@cloudcomposer-accounts.iam.gserviceaccount.com"

  # The service agent exists once the Composer API is on.
  depends_on = [google_project_service.required]
}

resource "google_bigquery_dataset_iam_member" "worker_writes" {
  for_each   = toset(local.worker_writes)
  project    = var.project_id
  dataset_id = google_bigquery_dataset.layer[each.value].dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.composer_worker.email}"
}

resource "google_bigquery_dataset_iam_member" "worker_reads" {
  for_each   = toset(local.worker_reads)
  project    = var.project_id
  dataset_id = google_bigquery_dataset.layer[each.value].dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = "serviceAccount:${google_service_account.composer_worker.email}"
}

# Airbyte loads through BigQuery jobs too, into the raw datasets only.
resource "google_project_iam_member" "airbyte_jobs" {
  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = "serviceAccount:${google_service_account.airbyte_destination.email}"
}

resource "google_bigquery_dataset_iam_member" "airbyte_writes" {
  for_each   = toset(keys(local.raw_datasets))
  project    = var.project_id
  dataset_id = google_bigquery_dataset.layer[each.value].dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.airbyte_destination.email}"
}

# Looker Studio's viewers (a group or a service account): the reporting dataset only.
# Reporting tables are copies (table clones), not views: reading them needs no right on
# marts, staging or raw, where buyer identifiers and addresses stay.
resource "google_bigquery_dataset_iam_member" "looker_studio_reads" {
  for_each   = toset(var.looker_studio_readers)
  project    = var.project_id
  dataset_id = google_bigquery_dataset.layer["reporting"].dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = each.value
}
