"""Deploy the pipeline to Cloud Composer 3: optionally `terraform apply` (composer/terraform),
then the code to the environment's bucket, printing every command and what it changed.

    make deploy COMPOSER_ENVIRONMENT=shop-analytics COMPOSER_LOCATION=europe-west1 GCP_PROJECT=my-project \
        [BQ_LOCATION=EU] [TERRAFORM=1] [DRY_RUN=1]

--dry-run prints every gcloud / gcloud storage / terraform command and runs none of them
(no GCP project or gcloud needed). Needs otherwise gcloud, authenticated with rights on the
environment and its bucket (and terraform with --terraform).
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
from pathlib import Path

from shop_analytics.config.environments import stale_files

REPO_ROOT = Path(__file__).resolve().parents[1]
TERRAFORM_DIR = "composer/terraform"
OVERRIDES_FILE = REPO_ROOT / "composer" / "airflow_config_overrides.env"
VARIABLES_FILE = REPO_ROOT / "composer" / "environment_variables.env"


def env_file_entries(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line and not line.startswith("#")]


class Deployer:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.environment = ["composer", "environments", "--location", args.location]

    def run(self, *command: str, capture: bool = False) -> str:
        print("+ " + shlex.join(command), flush=True)
        if self.args.dry_run:
            return ""
        completed = subprocess.run(command, cwd=REPO_ROOT, check=False, text=True, capture_output=capture)
        if completed.returncode != 0:
            raise SystemExit(f"`{shlex.join(command)}` failed (exit {completed.returncode}); nothing after it ran.")
        return completed.stdout.strip() if capture else ""

    def bucket(self) -> str:
        if self.args.terraform:
            bucket = self.run("terraform", f"-chdir={TERRAFORM_DIR}", "output", "-raw", "composer_bucket", capture=True)
        else:
            prefix = self.run(
                "gcloud", *self.environment, "describe", self.args.environment,
                "--format=value(config.dagGcsPrefix)", capture=True,
            )  # fmt: skip
            bucket = prefix.removesuffix("/dags")
        return bucket or f"gs://BUCKET-OF-{self.args.environment}"

    def deploy(self) -> None:
        stale = stale_files()
        if stale:
            raise SystemExit(f"{', '.join(map(str, stale))} differ from settings.yaml: run `make composer-env` first.")
        if self.args.terraform:
            # Terraform owns the environment's packages, config overrides and variables.
            self.run("terraform", f"-chdir={TERRAFORM_DIR}", "init", "-input=false")
            self.run(
                "terraform", f"-chdir={TERRAFORM_DIR}", "apply", "-input=false",
                f"-var=project_id={self.args.project}", f"-var=region={self.args.location}",
                f"-var=environment_name={self.args.environment}",
                f"-var=bigquery_location={self.args.bigquery_location}",
            )  # fmt: skip
        else:
            self.update_environment()
        bucket = self.bucket()
        # The manifest the DAG is rendered from: built here, never at DAG parse time.
        self.run("make", "manifest")
        rsync = ["gcloud", "storage", "rsync", "--recursive", "--delete-unmatched-destination-objects"]
        self.run(*rsync, "--exclude=.*__pycache__.*", "plugins/shop_analytics", f"{bucket}/plugins/shop_analytics")
        self.run("gcloud", "storage", "cp", "dags/etsy_shop_analytics.py", f"{bucket}/dags/")
        self.run(
            *rsync,
            r"--exclude=^(logs|dbt_packages)/.*|^target/(?!manifest\.json$).*",
            "include/dbt",
            f"{bucket}/data/dbt",
        )
        # dbt docs for the Airflow UI (cosmos-dbt_docs_projects points at data/dbt-docs).
        self.run("make", "docs")
        self.run(*rsync, "build/dbt-docs", f"{bucket}/data/dbt-docs")
        done = "Dry run: nothing ran; would deploy" if self.args.dry_run else "Deployed"
        print(f"{done} to {bucket}. Next: the secrets and the first run, composer/README.md steps 3-4.")

    def update_environment(self) -> None:
        """Without Terraform: packages, Airflow config overrides and variables by gcloud."""
        self.run(
            "gcloud", *self.environment, "update", self.args.environment,
            "--update-pypi-packages-from-file", "requirements.txt",
        )  # fmt: skip
        # `^|^` makes `|` gcloud's list delimiter: values may hold commas (JSON settings).
        overrides = "|".join(env_file_entries(OVERRIDES_FILE))
        self.run(
            "gcloud", *self.environment, "update", self.args.environment, "--update-airflow-configs", f"^|^{overrides}"
        )
        variables = "|".join(
            [
                *env_file_entries(VARIABLES_FILE),
                f"SHOP_ANALYTICS_GCP_PROJECT={self.args.project}",
                f"SHOP_ANALYTICS_BQ_LOCATION={self.args.bigquery_location}",
            ]
        )
        self.run(
            "gcloud", *self.environment, "update", self.args.environment, "--update-env-variables", f"^|^{variables}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--environment", required=True, help="Composer environment name")
    parser.add_argument("--location", required=True, help="its region, e.g. europe-west1")
    parser.add_argument("--project", required=True, help="the GCP project id")
    parser.add_argument("--bigquery-location", default="EU", help="location of the BigQuery datasets (default EU)")
    parser.add_argument("--terraform", action="store_true", help="terraform apply composer/terraform first")
    parser.add_argument("--dry-run", action="store_true", help="print every command, run none")
    Deployer(parser.parse_args(argv)).deploy()


if __name__ == "__main__":
    main()
