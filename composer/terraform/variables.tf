variable "project_id" {
  description = "The GCP project everything lives in (it must exist, with billing enabled)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a GCP project id: 6-30 lowercase letters, digits or hyphens."
  }
}

variable "region" {
  description = "Region of the Composer environment, e.g. europe-west1."
  type        = string
  default     = "europe-west1"
  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must be a GCP region such as europe-west1 or us-central1."
  }
}

variable "bigquery_location" {
  description = "Location of every BigQuery dataset (a multi-region, EU or US, or the Composer region). Airbyte's destination must write to the same location."
  type        = string
  default     = "EU"
  validation {
    condition     = length(var.bigquery_location) > 1
    error_message = "bigquery_location must name a BigQuery location, e.g. EU, US or europe-west1."
  }
}

variable "environment_name" {
  description = "Name of the Cloud Composer environment."
  type        = string
  default     = "shop-analytics"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}$", var.environment_name))
    error_message = "environment_name must start with a letter and hold lowercase letters, digits and hyphens (at most 63)."
  }
}

variable "composer_image_version" {
  description = "Cloud Composer 3 image with Airflow 3 (the version the project is tested against)."
  type        = string
  default     = "composer-3-airflow-3.2.2-build.1"
  validation {
    condition     = can(regex("^composer-3-airflow-3\\.[0-9]+\\.[0-9]+-build\\.[0-9]+$", var.composer_image_version))
    error_message = "composer_image_version must be a Composer 3 image with Airflow 3: composer-3-airflow-3.X.Y-build.N."
  }
}

variable "labels" {
  description = "Labels on the datasets, the environment and the secrets (cost attribution)."
  type        = map(string)
  default     = { app = "shop-analytics" }
}

variable "raw_partition_expiration_days" {
  description = "Default partition expiration of the raw dataset (days; 0 keeps raw partitions forever). Raw holds buyer names and addresses: a bounded retention is the data-minimising choice, and every model rebuilds from Etsy's API on a full refresh. See composer/README.md, 'Personal data'."
  type        = number
  default     = 400
  validation {
    condition     = var.raw_partition_expiration_days == 0 || var.raw_partition_expiration_days >= 30
    error_message = "raw_partition_expiration_days must be 0 (keep forever) or at least 30: daily runs re-read a month of boundary rows."
  }
}

variable "deletion_protection" {
  description = "Refuse `terraform destroy` of the datasets and the environment (turn off only to tear a test project down)."
  type        = bool
  default     = true
}

variable "looker_studio_readers" {
  description = "Members who read the reporting dataset from Looker Studio: group:..., user:... or serviceAccount:... Reporting only; never raw or staging."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for member in var.looker_studio_readers : can(regex("^(group|user|serviceAccount):", member))])
    error_message = "Each Looker Studio reader must be a group:, user: or serviceAccount: member."
  }
}

variable "manage_airbyte" {
  description = "Also create the BigQuery destination and the connections in Airbyte (Cloud or OSS) through its Terraform provider. Sources are created in Airbyte's UI (OAuth consent; the Etsy connector is a custom one) and their ids passed in airbyte_source_ids."
  type        = bool
  default     = false
}

variable "airbyte_server_url" {
  description = "Airbyte API URL: Cloud https://api.airbyte.com/v1/, OSS http://HOST:8000/api/public/v1/."
  type        = string
  default     = "https://api.airbyte.com/v1/"
  validation {
    condition     = can(regex("^https?://", var.airbyte_server_url))
    error_message = "airbyte_server_url must be an http(s) URL."
  }
}

variable "airbyte_client_id" {
  description = "Airbyte application client id (only with manage_airbyte)."
  type        = string
  default     = null
  sensitive   = true
}

variable "airbyte_client_secret" {
  description = "Airbyte application client secret (only with manage_airbyte)."
  type        = string
  default     = null
  sensitive   = true
}

variable "airbyte_workspace_id" {
  description = "Airbyte workspace id (only with manage_airbyte)."
  type        = string
  default     = ""
}

variable "airbyte_source_ids" {
  description = "Airbyte source id per pipeline source (etsy, ga4, instagram), only with manage_airbyte."
  type        = map(string)
  default     = {}
  validation {
    condition     = alltrue([for name in keys(var.airbyte_source_ids) : contains(["etsy", "ga4", "instagram"], name)])
    error_message = "airbyte_source_ids keys must be pipeline sources: etsy, ga4, instagram."
  }
}
