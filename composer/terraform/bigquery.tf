# Datasets: Airbyte writes one raw dataset per source (raw_etsy holds buyer names and
# addresses); dbt writes staging, intermediate, marts, reporting and reference (seeds) and
# its target dataset; Looker Studio reads reporting only.

locals {
  raw_datasets = {
    raw_etsy      = "Etsy receipts, transactions, listings, payments and ledger as Airbyte lands them. Holds buyer names, e-mails and postal addresses: readable by the pipeline only."
    raw_ga4       = "Google Analytics 4 reports as Airbyte lands them (aggregates, no personal data)."
    raw_instagram = "Instagram account and media insights as Airbyte lands them (the shop's own account)."
  }
  dbt_datasets = {
    staging        = "dbt staging views: typed, deduplicated raw data (carries Etsy buyer ids): pipeline only."
    intermediate   = "dbt intermediate models (keyed customer_id, no names or addresses): pipeline only."
    marts          = "dbt marts, built and tested before publishing: pipeline only."
    reporting      = "The published marts Looker Studio reads: replaced only when every test of a run passed."
    reference      = "dbt seeds: shop accounts, fee rates, channel and ledger-type mappings."
    shop_analytics = "dbt's target dataset (unit-test and audit scratch relations)."
  }
  datasets = merge(local.raw_datasets, local.dbt_datasets)
}

resource "google_bigquery_dataset" "layer" {
  #checkov:skip=CKV_GCP_81:Google-managed encryption at rest; a customer-managed KMS key would add key custody (rotation, a key ring that can never be deleted) a one-shop project cannot operate, and protects against no reader IAM already excludes
  for_each    = local.datasets
  project     = var.project_id
  dataset_id  = each.key
  location    = var.bigquery_location
  description = each.value
  labels      = merge(var.labels, { layer = startswith(each.key, "raw_") ? "raw" : each.key })

  # Raw partitions (Airbyte partitions by day of extraction) expire after
  # var.raw_partition_expiration_days: the personal data in raw_etsy is kept no longer than
  # the reporting needs it; dbt's tables keep their own history. null = never, elsewhere.
  default_partition_expiration_ms = startswith(each.key, "raw_") && var.raw_partition_expiration_days > 0 ? var.raw_partition_expiration_days * 86400000 : null

  delete_contents_on_destroy = !var.deletion_protection

  depends_on = [google_project_service.required]
}
