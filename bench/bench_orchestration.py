"""Orchestration benchmark: what Airflow + Cosmos add on top of dbt.

Prints, with the load average (the 2 cores are shared):
- parse: seconds to parse dags/etsy_shop_analytics.py beyond `import airflow` (median of
  3 fresh interpreters, bytecode cached as on any deployment; target <= 0.5 s);
- bare: a plain `dbt build` of the whole project on the day's landed raw data, the project
  parsed beforehand (untimed), as the DAG's is;
- dag: the whole DAG under `airflow dags test` (the `make run` path) on the same raw data,
  as wall time and as its transform phase (first to last dbt task), with their ratio to
  the bare build (target: transform <= 1.3x), split into the producer (freshness + the
  one `dbt build`) and the watcher tasks after it (`dags test` runs tasks one at a time);
- bare and dag alternate --repeat times (fresh copies of the raw data each time): the
  shared cores move a bare build by +-15 % between runs, so each pair gives a ratio and the
  verdict uses their median;
- the LOCAL execution mode, estimated from measured parts (one dbt invocation per node,
  the OpenLineage pass Cosmos runs after each, the per-task cost of `dags test`), with
  BUILD and AFTER_EACH test behaviour, since a real LOCAL run takes 20+ minutes here;
- last, the transform ratio and the parse time against their targets.

    PYTHONPATH=plugins:. .venv/bin/python -m bench.bench_orchestration [--logical-date YYYY-MM-DD]

The day defaults to yesterday, as `make run`: source freshness compares the stand-in's
extraction time with the wall clock, and stale sources would leave their models out.

Work files go to build/bench-orchestration/ (raw layer landed once, copied per run)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shop_analytics.config import REPO_ROOT, Settings, load_sources
from standin.airbyte_api import running_airbyte_standin
from standin.local_airflow import DAG_ID, LocalAirflow, latest_synced_logical_date
from standin.sync import run_sync

WORK = REPO_ROOT / "build" / "bench-orchestration"
DBT_PROJECT_DIR = REPO_ROOT / "include" / "dbt"
DAG_FILE = REPO_ROOT / "dags" / "etsy_shop_analytics.py"
PARSE_TARGET_SECONDS = 0.5
TRANSFORM_TARGET_RATIO = 1.3
# Cosmos's cache folder of the DAG's transform group (`<dag_id>__<task group id>`).
COSMOS_CACHE_IDENTIFIER = f"{DAG_ID}__transform"

# argv: the DAG file, then modules imported before the clock starts.
PARSE_PROBE = """
import importlib, importlib.util, sys, time
import airflow
from airflow.sdk import DAG
for module in sys.argv[2:]:
    importlib.import_module(module)
started = time.perf_counter()
spec = importlib.util.spec_from_file_location("etsy_dag", sys.argv[1])
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(time.perf_counter() - started)
"""


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def child_env(duckdb_path: Path | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "plugins"), str(REPO_ROOT)]),
        "DBT_TARGET": "local",
        "DBT_THREADS": str(Settings.from_env().dbt_threads),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    }
    if duckdb_path is not None:
        env["SHOP_ANALYTICS_DUCKDB_PATH"] = str(duckdb_path)
    return env


def parse_seconds(pycache: Path, airflow_home: Path, preloaded: tuple[str, ...] = ()) -> float:
    """Median parse time beyond `import airflow` (and `preloaded`), after a warm-up run fills the bytecode cache."""
    env = child_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(PYTHONPYCACHEPREFIX=str(pycache), AIRFLOW_HOME=str(airflow_home), AIRFLOW__CORE__LOAD_EXAMPLES="False")
    runs = []
    for _ in range(4):
        out = subprocess.run(
            [sys.executable, "-c", PARSE_PROBE, str(DAG_FILE), *preloaded],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(runs[1:])


def land_raw(raw: Path, sync_day: dt.date) -> None:
    if raw.exists():
        return
    for source in load_sources():
        run_sync(raw, source, sync_day)


def dbt_seconds(duckdb_path: Path, logical_date: dt.date, target_dir: Path, *command: str) -> float:
    """Wall time of one dbt CLI invocation on the project, on the day's window (as the DAG sets it)."""
    env = {
        **child_env(duckdb_path),
        "SHOP_ANALYTICS_START_DATE": str(logical_date),
        "SHOP_ANALYTICS_END_DATE": str(logical_date + dt.timedelta(days=1)),
    }
    started = time.monotonic()
    subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            *command,
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--project-dir",
            str(DBT_PROJECT_DIR),
            # As Cosmos passes them (dbt keys a partial parse on both).
            "--profile",
            "shop_analytics",
            "--target",
            "local",
            "--target-path",
            str(target_dir),
            "--quiet",
        ],
        env=env,
        check=True,
    )
    return time.monotonic() - started


def bare_build_seconds(duckdb_path: Path, logical_date: dt.date, target_dir: Path) -> float:
    """A `dbt build` of a project parsed beforehand, as the DAG's (`make manifest` parses at deploy time)."""
    dbt_seconds(duckdb_path, logical_date, target_dir, "parse")
    return dbt_seconds(duckdb_path, logical_date, target_dir, "build")


def prime_cosmos_parse_cache(duckdb_path: Path, logical_date: dt.date, work: Path) -> Path:
    """The steady state of a worker: Cosmos's cache holds the parse its previous run made for
    this profile (dbt keys a parse on the connection, here the DuckDB file), as the bare build
    gets its parse. Untimed, like that one. A cache folder of the bench's own, so `make run`'s
    cache is left alone; returned for the DAG run's AIRFLOW__COSMOS__CACHE_DIR."""
    from shop_analytics.transform.cosmos_compat import prime_partial_parse_cache

    cache_root = work / "cosmos-cache"
    dbt_seconds(duckdb_path, logical_date, work / "parse-target", "parse")
    prime_partial_parse_cache(work / "parse-target" / "partial_parse.msgpack", COSMOS_CACHE_IDENTIFIER, cache_root)
    return cache_root


def dag_run_seconds(work: Path, duckdb_path: Path, logical_date: dt.date) -> tuple[float, float, int, float]:
    """Wall time of the DAG run, its transform phase, how many transform tasks it ran, and the producer's time."""
    cache_root = prime_cosmos_parse_cache(duckdb_path, logical_date, work)
    airflow = LocalAirflow(airflow_home=work / "airflow", duckdb_path=duckdb_path)
    started = time.monotonic()
    with running_airbyte_standin(duckdb_path=duckdb_path, today=logical_date + dt.timedelta(days=1)) as airbyte:
        env = {
            **airflow.env(airbyte.url, airbyte.client_id, airbyte.client_secret),
            "AIRFLOW__COSMOS__CACHE_DIR": str(cache_root),
        }
        outcome = airflow.test_dag(env, logical_date)
    wall = time.monotonic() - started
    if not outcome.succeeded:
        raise SystemExit(f"the DAG run did not succeed ({outcome.state}): see {outcome.log_path}")
    with sqlite3.connect(work / "airflow" / "airflow.db") as db:
        first, last, tasks = db.execute(
            "select min(julianday(start_date)), max(julianday(end_date)), count(*) from task_instance "
            "where dag_id = ? and task_id like 'transform.%'",
            (DAG_ID,),
        ).fetchone()
        (producer,) = db.execute(
            "select (julianday(end_date) - julianday(start_date)) * 86400 from task_instance "
            "where dag_id = ? and task_id = 'transform.dbt_producer_watcher'",
            (DAG_ID,),
        ).fetchone()
    return wall, (last - first) * 86400, tasks, producer


def local_mode_parts(duckdb_path: Path, logical_date: dt.date, target_dir: Path) -> tuple[float, float]:
    """One single-node dbt invocation, and the OpenLineage pass Cosmos LOCAL runs after each."""
    invocation = dbt_seconds(duckdb_path, logical_date, target_dir, "run", "--select", "stg_etsy__shops")
    probe = f"""
import os, shutil, sys, tempfile, time
from pathlib import Path
from openlineage.common.provider.dbt.local import DbtLocalArtifactProcessor
project = Path(tempfile.mkdtemp())
shutil.copytree({str(DBT_PROJECT_DIR)!r}, project, dirs_exist_ok=True, ignore=shutil.ignore_patterns("target"))
shutil.copytree({str(target_dir)!r}, project / "target")
started = time.perf_counter()
processor = DbtLocalArtifactProcessor(producer="bench", job_namespace="bench", project_dir=str(project),
    profile_name="shop_analytics", target="local")
processor.should_raise_on_unsupported_command = False
processor.parse()
print(time.perf_counter() - started)
"""
    out = subprocess.run(
        [sys.executable, "-c", probe], env=child_env(duckdb_path), capture_output=True, text=True, check=True
    )
    return invocation, float(out.stdout.strip().splitlines()[-1])


def tested_nodes() -> int:
    """Models and seeds with at least one data test (each a test task under AFTER_EACH)."""
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    return len(
        {
            parent
            for node in manifest["nodes"].values()
            if node["resource_type"] == "test"
            for parent in node["depends_on"]["nodes"]
            if parent.split(".")[0] in ("model", "seed")
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_orchestration", description=__doc__)
    parser.add_argument("--logical-date", type=dt.date.fromisoformat, default=latest_synced_logical_date())
    parser.add_argument("--repeat", type=int, default=3, help="bare build and DAG run pairs (default 3)")
    args = parser.parse_args(argv)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    print(f"start: {load()}", flush=True)

    with tempfile.TemporaryDirectory() as scratch:
        parse = parse_seconds(Path(scratch) / "pycache", Path(scratch) / "airflow")
        # A DAG processor forks its parsing processes from a manager that has imported the
        # ORM models (airflow.models.dagrun among them) that Cosmos's cache module imports.
        in_dag_processor = parse_seconds(
            Path(scratch) / "pycache", Path(scratch) / "airflow", ("airflow.dag_processing.manager",)
        )
    print(
        f"parse of the DAG file beyond `import airflow`: {parse:.2f} s (target <= {PARSE_TARGET_SECONDS} s), "
        f"{in_dag_processor:.2f} s in a DAG processor (ORM already imported); {load()}"
    )

    raw = WORK / "raw.duckdb"
    land_raw(raw, args.logical_date + dt.timedelta(days=1))
    ratios = []
    for attempt in range(1, args.repeat + 1):
        pair = WORK / f"pair-{attempt}"
        pair.mkdir()
        bare_file, dag_file = pair / "bare.duckdb", pair / "dag.duckdb"
        shutil.copy(raw, bare_file)
        shutil.copy(raw, dag_file)
        bare = bare_build_seconds(bare_file, args.logical_date, pair / "bare-target")
        print(
            f"[{attempt}/{args.repeat}] bare `dbt build` (threads {Settings.from_env().dbt_threads}): {bare:.1f} s; "
            f"{load()}",
            flush=True,
        )
        wall, transform, tasks, producer = dag_run_seconds(pair / "watcher", dag_file, args.logical_date)
        watchers = transform - producer
        ratios.append(transform / bare)
        print(
            f"[{attempt}/{args.repeat}] WATCHER + BUILD test behaviour (the DAG): whole run {wall:.1f} s "
            f"({wall / bare:.2f}x bare); transform phase {transform:.1f} s = {transform / bare:.2f}x bare, over "
            f"{tasks} tasks = producer {producer:.1f} s (freshness + one `dbt build`, {producer / bare:.2f}x bare) "
            f"+ {tasks - 1} tasks after it {watchers:.1f} s ({watchers / max(tasks - 1, 1) * 1000:.0f} ms each "
            f"under `dags test`, {watchers / bare:.2f}x bare); {load()}",
            flush=True,
        )

    invocation, openlineage = local_mode_parts(bare_file, args.logical_date, pair / "bare-target")
    per_task = watchers / max(tasks - 1, 1)
    nodes = tasks - 2  # the rendered nodes: all but the producer and its gate
    # AFTER_EACH adds a test task per tested model or seed (the DAG's former shape).
    after_each = nodes + tested_nodes()
    for label, count in (("BUILD test behaviour", nodes), ("AFTER_EACH", after_each)):
        estimate = count * (invocation + openlineage + per_task)
        print(
            f"LOCAL, {label} (estimated, one dbt invocation per task): {count} tasks x ({invocation:.1f} s dbt "
            f"invocation + {openlineage:.1f} s OpenLineage pass + {per_task:.2f} s task overhead) = {estimate:.0f} s "
            f"({estimate / bare:.1f}x bare); {load()}"
        )
    ratio = statistics.median(ratios)
    verdict = "met" if ratio <= TRANSFORM_TARGET_RATIO else "NOT met"
    print(
        f"transform ratio {ratio:.2f}x a bare `dbt build`, median of {', '.join(f'{r:.2f}x' for r in ratios)} "
        f"(target <= {TRANSFORM_TARGET_RATIO}x: {verdict}); parse {parse:.2f} s (target <= {PARSE_TARGET_SECONDS} s: "
        f"{'met' if parse <= PARSE_TARGET_SECONDS else 'NOT met'}); {load()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
