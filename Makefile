# Two commands on a fresh machine: `make run` (the whole DAG on the embedded DuckDB
# default) and `make test` (every test). Everything else is a building block of those.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
VENV := .venv
PY := $(VENV)/bin/python
# uv runs as a module of the machine's Python, wherever pip put it (user or system site).
UV := $(PYTHON) -m uv

export AIRFLOW_HOME ?= $(CURDIR)/.airflow
export SHOP_ANALYTICS_DUCKDB_PATH ?= $(CURDIR)/data/shop_analytics.duckdb
export PYTHONPATH := $(CURDIR)/plugins:$(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: help venv manifest browser run test lint clean bench-data bench-dbt connector-venv bigquery-venv test-bigquery bench-connector bench-scheduler checkov composer-env deploy dashboard looker-link
DBT := cd include/dbt && $(CURDIR)/$(VENV)/bin/dbt
MANIFEST := include/dbt/target/manifest.json
DBT_SOURCES := $(shell find include/dbt -path include/dbt/target -prune -o \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' -o -name '*.md' \) -print)

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(VENV)/.synced: uv.lock pyproject.toml
	$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --user "uv==$(UV_VERSION)" \
		|| $(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

venv: $(VENV)/.synced  ## create/refresh the locked virtualenv

# --profile and --target exactly as Cosmos passes them: dbt keys its partial parse on both,
# so the DAG's dbt tasks reuse this parse instead of parsing the project again.
$(MANIFEST): $(VENV)/.synced $(DBT_SOURCES)
	$(DBT) parse --profiles-dir . --profile shop_analytics --target local --quiet
	touch $@

manifest: $(MANIFEST)  ## build the dbt manifest the DAG is rendered from (deploy-time, never at parse time)

# Browser tests use Debian's chromium: playwright's own browser download is not reachable here.
browser:  ## install Chromium for the browser tests (Debian package; needs root or sudo)
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

CONNECTOR_VENV := .venv-connector
$(CONNECTOR_VENV)/.synced: connectors/source-etsy/requirements.txt
	$(UV) venv --allow-existing --python $(PYTHON) $(CONNECTOR_VENV)
	$(UV) pip install --python $(CONNECTOR_VENV)/bin/python --compile-bytecode -r $<
	touch $@

connector-venv: $(CONNECTOR_VENV)/.synced  ## the Etsy connector's own virtualenv (airbyte-cdk; never in requirements.txt)

# The BigQuery emulator (bqemulator) needs duckdb 1.5.5, the project pins 1.4.4: its own
# virtualenv. DuckDB cannot download its spatial extension here: it comes from PyPI
# (duckdb-extension-spatial) and is imported once, with the venv as HOME, so DuckDB installs
# it into the venv's extension directory; the emulator runs with the same HOME.
BIGQUERY_VENV := .venv-bigquery
$(BIGQUERY_VENV)/.synced: bigquery/requirements.txt
	$(UV) venv --allow-existing --quiet --python $(PYTHON) $(BIGQUERY_VENV)
	$(UV) pip install --quiet --python $(BIGQUERY_VENV)/bin/python --compile-bytecode -r $<
	HOME=$(CURDIR)/$(BIGQUERY_VENV) $(BIGQUERY_VENV)/bin/python -c "import duckdb, duckdb_extension_spatial, pathlib; \
		duckdb.execute(\"INSTALL '%s'\" % next(pathlib.Path(duckdb_extension_spatial.__file__).parent.rglob('spatial.duckdb_extension')))"
	touch $@

bigquery-venv: $(BIGQUERY_VENV)/.synced  ## the BigQuery emulator's own virtualenv (bqemulator; never in requirements.txt)

# Etsy is extracted through its connector (SHOP_ANALYTICS_ETSY_EXTRACT=simulator: straight from the simulator).
run: export SHOP_ANALYTICS_ETSY_EXTRACT ?= connector
run: venv manifest connector-venv  ## set up and run the whole DAG once on the embedded default (DuckDB); Etsy through its connector
	$(PY) -m standin.local_run

test: venv manifest browser connector-venv  ## set up and run every test (the BigQuery emulator's: make test-bigquery)
	$(PY) -m pytest -q --ignore=tests/bigquery

test-bigquery: venv bigquery-venv  ## the bigquery target on the BigQuery emulator vs DuckDB: full build + a daily run, marts compared (docs/bigquery.md)
	$(PY) -m pytest -q tests/bigquery

# sqlfluff's dbt templater compiles the project against an in-memory DuckDB (no data needed).
lint: venv checkov  ## ruff, sqlfluff (dbt templater) on the dbt project, and checkov on composer/terraform
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
	SHOP_ANALYTICS_DUCKDB_PATH=:memory: $(VENV)/bin/sqlfluff lint include/dbt/models include/dbt/tests

clean:  ## remove local state (Airflow home, DuckDB files, dbt target)
	rm -rf .airflow data include/dbt/target include/dbt/logs build

bench-data: venv  ## scale benchmark: simulate 1M orders + 2 years of GA4/Instagram into DuckDB (rows/s, peak memory)
	$(PY) -m bench.bench_generate

bench-dbt: venv  ## scale benchmark of the sales models on ~1M orders: full build, daily run, idle day vs empty-input floor, 2y vs 1y daily run
	$(PY) -m bench.bench_dbt

test-dbt-unit: venv  ## dbt unit tests (dbt test --select test_type:unit) on a landed, built DuckDB; `make test` runs them too
	$(PY) -m pytest -q tests/quality/test_dbt_unit_tests.py

test-quality: venv manifest  ## data quality: bad-input catalogue, write-audit-publish, dbt unit tests
	$(PY) -m pytest -q tests/quality

ui: venv manifest  ## Airflow standalone on this project with the Airbyte stand-in: UI http://localhost:8080, login admin / admin
	$(PY) -m standin.local_run --ui

docs: venv manifest  ## dbt docs into build/dbt-docs, served by `make ui` (Airflow UI, Browse > Etsy shop analytics)
	$(DBT) docs generate --profiles-dir . --target local --target-path $(CURDIR)/build/dbt-docs --quiet

bench-orchestration: venv manifest  ## DAG parse time, bare dbt build vs the whole DAG run (ratio), LOCAL mode estimate
	$(PY) -m bench.bench_orchestration

bench-scheduler: venv manifest  ## the transform group under a real scheduler + triggerer vs a bare dbt build (ratio), sync -> first model delay
	$(PY) -m bench.bench_scheduler

bench-connector: venv connector-venv  ## Etsy connector records/s against the API stand-in (default world, then a 4x world)
	$(PY) -m bench.bench_connector

# checkov's pins conflict with Airflow's: it gets its own virtualenv, every package pinned.
CHECKOV_VENV := .venv-checkov
CHECKOV_REQUIREMENTS := composer/terraform/requirements-checkov.txt
$(CHECKOV_VENV)/.synced: $(CHECKOV_REQUIREMENTS)
	$(UV) venv --allow-existing --quiet --python $(PYTHON) $(CHECKOV_VENV)
	$(UV) pip install --quiet --python $(CHECKOV_VENV)/bin/python --no-deps -r $(CHECKOV_REQUIREMENTS)
	touch $@

checkov: $(CHECKOV_VENV)/.synced  ## checkov on composer/terraform: 0 failed checks (skips justified in the .tf files)
	$(CHECKOV_VENV)/bin/checkov --directory composer/terraform --framework terraform --compact --quiet --skip-download

composer-env: venv  ## derive composer/*.env and docker-compose.env from plugins/shop_analytics/config/settings.yaml
	$(PY) -m shop_analytics.config.environments

deploy: venv  ## deploy to Cloud Composer: COMPOSER_ENVIRONMENT= COMPOSER_LOCATION= GCP_PROJECT= [TERRAFORM=1] [DRY_RUN=1]
	$(PY) composer/deploy.py --environment "$(COMPOSER_ENVIRONMENT)" --location "$(COMPOSER_LOCATION)" \
		--project "$(GCP_PROJECT)" $(if $(BQ_LOCATION),--bigquery-location "$(BQ_LOCATION)") \
		$(if $(TERRAFORM),--terraform) $(if $(DRY_RUN),--dry-run)

dashboard: venv manifest  ## local preview of the Looker Studio dashboard (include/dashboards) from DuckDB `reporting` into build/dashboard; after `make run`
	$(PY) -m shop_analytics.dashboard.preview

looker-link: venv  ## the Looker Studio Linking API URL creating the report on BigQuery `reporting` (docs/looker-studio.md)
	@$(PY) -m shop_analytics.dashboard.looker_link
