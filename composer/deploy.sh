#!/usr/bin/env bash
# Deploy to an existing Cloud Composer 3 environment (composer-3-airflow-3.2.2-build.1).
#   COMPOSER_ENVIRONMENT=shop-analytics COMPOSER_LOCATION=europe-west1 composer/deploy.sh
# Needs gcloud, authenticated with rights on the environment and its bucket.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${COMPOSER_ENVIRONMENT:?set COMPOSER_ENVIRONMENT to the Composer environment name}"
: "${COMPOSER_LOCATION:?set COMPOSER_LOCATION to its region, e.g. europe-west1}"

environment=(composer environments --location "$COMPOSER_LOCATION")
bucket=$(gcloud "${environment[@]}" describe "$COMPOSER_ENVIRONMENT" --format='value(config.dagGcsPrefix)')
bucket=${bucket%/dags}

# 1. PyPI packages (requirements.txt holds exactly what the image lacks), settings, variables.
gcloud "${environment[@]}" update "$COMPOSER_ENVIRONMENT" --update-pypi-packages-from-file requirements.txt
# `^|^` makes `|` gcloud's list delimiter: values may hold commas (JSON settings).
gcloud "${environment[@]}" update "$COMPOSER_ENVIRONMENT" \
  --update-airflow-configs "^|^$(grep -v '^#' composer/airflow_config_overrides.env | grep . | paste -sd'|' -)"
gcloud "${environment[@]}" update "$COMPOSER_ENVIRONMENT" \
  --update-env-variables "^|^$(grep -v '^#' composer/environment_variables.env | grep . | paste -sd'|' -)"

# 2. The manifest the DAG is rendered from: built here, never at DAG parse time.
make manifest

# 3. Code: the package to plugins/, the DAG to dags/, the dbt project (with target/manifest.json) to data/.
gcloud storage rsync --recursive --delete-unmatched-destination-objects \
  --exclude='.*__pycache__.*' plugins/shop_analytics "$bucket/plugins/shop_analytics"
gcloud storage cp dags/etsy_shop_analytics.py "$bucket/dags/"
gcloud storage rsync --recursive --delete-unmatched-destination-objects \
  --exclude='^(logs|dbt_packages)/.*|^target/(?!manifest\.json$).*' include/dbt "$bucket/data/dbt"
# 4. dbt docs for the Airflow UI (cosmos-dbt_docs_projects points at data/dbt-docs).
make docs
gcloud storage rsync --recursive build/dbt-docs "$bucket/data/dbt-docs"
echo "Deployed to $bucket. Connections: see composer/README.md."
