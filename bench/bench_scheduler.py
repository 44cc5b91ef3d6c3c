"""Scheduler benchmark: the transform group under a real scheduler and triggerer against a
bare `dbt build` of the same data.

One `airflow standalone` (scheduler, triggerer, DAG processor, API server, LocalExecutor:
what `make ui` starts, with the Airbyte stand-in) serves every run. Per pair, alternating:
- bare: a plain `dbt build` of the whole project on a fresh copy of the landed raw data,
  the project parsed beforehand (untimed), a child of this process as the scheduler's are;
- scheduler: the DAG triggered through the REST API on another fresh copy (its syncs
  re-sync the day, then the transform), read back from its task instances: the transform
  group's wall time (first transform task start -> last end), its ratio to the bare build,
  the delay from the last sync ending to the first model task running, and how long after
  its node each model's task ended.
Then the DAG file's parse time beyond `import airflow`, and the DAG processor's own
"last duration" for the file.

Last line: `scheduler transform/bare dbt build: <ratio>` (median of the pairs).

    PYTHONPATH=plugins:. .venv/bin/python -m bench.bench_scheduler [--repeat 3] [--logical-date YYYY-MM-DD]

Work files go to build/bench-scheduler/."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.bench_orchestration import bare_build_seconds, land_raw, load, parse_seconds
from shop_analytics.config import REPO_ROOT
from standin.airbyte_api import running_airbyte_standin
from standin.local_airflow import (
    DAG_ID,
    UI_LOGIN,
    LocalAirflow,
    TransformTimings,
    latest_synced_logical_date,
    rest_node_results,
    rest_task_instances,
)

WORK = REPO_ROOT / "build" / "bench-scheduler"
TRANSFORM_TARGET_RATIO = 1.3
SYNC_TO_MODEL_TARGET_SECONDS = 5.0
RUN_TIMEOUT_SECONDS = 1800
API_TIMEOUT_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(what: str, probe, timeout: float, interval: float = 2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(interval)
    raise SystemExit(f"{what} within {timeout:.0f} s")


def _client(base_url: str) -> httpx.Client:
    def token():
        try:
            username, password = UI_LOGIN
            response = httpx.post(
                f"{base_url}/auth/token", json={"username": username, "password": password}, timeout=API_TIMEOUT_SECONDS
            )
        except httpx.TransportError:
            return None
        return response.json()["access_token"] if response.status_code in (200, 201) else None

    access_token = _wait_for("the API server did not answer", token, 600)
    return httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {access_token}"}, timeout=API_TIMEOUT_SECONDS
    )


def scheduler_run(client: httpx.Client, day: dt.date) -> TransformTimings:
    """Trigger a run covering `day` (its window params) and read its timings once it has ended."""
    created = client.post(
        f"/api/v2/dags/{DAG_ID}/dagRuns",
        json={
            "logical_date": dt.datetime.now(dt.UTC).isoformat(),
            "conf": {"start_date": day.isoformat(), "end_date": (day + dt.timedelta(days=1)).isoformat()},
        },
    )
    if created.status_code != 200:
        raise SystemExit(f"triggering a run failed: {created.status_code} {created.text}")
    run_id = created.json()["dag_run_id"]

    def finished():
        state = client.get(f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}").json()["state"]
        return state if state in ("success", "failed") else None

    state = _wait_for(f"run {run_id} did not finish", finished, RUN_TIMEOUT_SECONDS, interval=3)
    instances = rest_task_instances(client, run_id)
    if state != "success":
        failed = {ti["task_id"]: ti["state"] for ti in instances if ti["state"] != "success"}
        raise SystemExit(f"run {run_id} {state}: {failed}")
    return TransformTimings.of(instances, rest_node_results(client, run_id, instances))


def scheduled_run_after_unpausing(client: httpx.Client) -> str:
    """Unpause the DAG and wait for the scheduled run it then gets (catchup off: the latest
    interval) to end: manual runs of a paused DAG never start, and this one warms the
    caches a long-lived deployment has warm (Cosmos's dbt parse, the workers' imports)."""
    client.patch(f"/api/v2/dags/{DAG_ID}", json={"is_paused": False})

    def ended_scheduled_run():
        runs = client.get(f"/api/v2/dags/{DAG_ID}/dagRuns", params={"run_type": "scheduled"}).json()["dag_runs"]
        return runs[0]["dag_run_id"] if runs and runs[0]["state"] in ("success", "failed") else None

    return _wait_for("the scheduled run did not end", ended_scheduled_run, RUN_TIMEOUT_SECONDS, interval=3)


def dag_processor_seconds(log_path: Path) -> float | None:
    """The DAG processor's last duration for the DAG file, from its stats table in the standalone log."""
    durations = re.findall(r"etsy_shop_analytics\.py\s.*?(\d+\.\d+)s", log_path.read_text(errors="replace"))
    return float(durations[-1]) if durations else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_scheduler", description=__doc__)
    parser.add_argument("--logical-date", type=dt.date.fromisoformat, default=latest_synced_logical_date())
    parser.add_argument("--repeat", type=int, default=3, help="bare build and scheduler run pairs (default 3)")
    args = parser.parse_args(argv)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    print(f"start: {load()}", flush=True)
    raw = WORK / "raw.duckdb"
    land_raw(raw, args.logical_date + dt.timedelta(days=1))
    dag_file = WORK / "dag.duckdb"
    airflow = LocalAirflow(airflow_home=WORK / "airflow", duckdb_path=dag_file)
    port = _free_port()
    ratios, delays = [], []
    with running_airbyte_standin(duckdb_path=dag_file, today=args.logical_date + dt.timedelta(days=1)) as airbyte:
        env = airflow.ui_env(airflow.env(airbyte.url, airbyte.client_id, airbyte.client_secret), port)
        log_path = airflow.airflow_home / "standalone.log"
        server = airflow.standalone(env, log_path)
        try:
            with _client(f"http://127.0.0.1:{port}") as client:
                dag_url = f"/api/v2/dags/{DAG_ID}"
                _wait_for("the DAG was not parsed", lambda: client.get(dag_url).status_code == 200, 600)
                shutil.copy(raw, dag_file)
                warm_up = scheduled_run_after_unpausing(client)
                print(f"warm-up: the scheduled run {warm_up} ended; {load()}", flush=True)
                for attempt in range(1, args.repeat + 1):
                    pair = WORK / f"pair-{attempt}"
                    pair.mkdir()
                    shutil.copy(raw, pair / "bare.duckdb")
                    bare = bare_build_seconds(pair / "bare.duckdb", args.logical_date, pair / "bare-target")
                    print(f"[{attempt}/{args.repeat}] bare `dbt build`: {bare:.1f} s; {load()}", flush=True)
                    shutil.copy(raw, dag_file)
                    timings = scheduler_run(client, args.logical_date)
                    lags = sorted(timings.lags().values())
                    ratio = timings.group_seconds / bare
                    ratios.append(ratio)
                    delays.append(timings.sync_to_first_model_seconds)
                    print(
                        f"[{attempt}/{args.repeat}] scheduler: transform group {timings.group_seconds:.1f} s "
                        f"({ratio:.2f}x bare), producer "
                        f"{(timings.producer_end - timings.producer_start).total_seconds():.1f} s; last sync -> first "
                        f"model task running {timings.sync_to_first_model_seconds:.1f} s; "
                        f"{len(timings.ended_during_the_build())} of {len(timings.model_ends)} model tasks ended "
                        f"during the build; model task after its node: median {statistics.median(lags):.1f} s, "
                        f"max {lags[-1]:.1f} s; {load()}",
                        flush=True,
                    )
            processor = dag_processor_seconds(log_path)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=120)
    with tempfile.TemporaryDirectory() as scratch:
        parse = parse_seconds(Path(scratch) / "pycache", Path(scratch) / "airflow")
    print(
        f"DAG parse beyond `import airflow`: {parse:.2f} s (target <= 0.5 s); the scheduler's DAG processor: "
        f"{'n/a' if processor is None else f'{processor:.2f} s'} for the file; {load()}"
    )
    delay = statistics.median(delays)
    verdict = "met" if delay <= SYNC_TO_MODEL_TARGET_SECONDS else "NOT met"
    print(
        f"last sync -> first model task running: median {delay:.1f} s "
        f"(target <= {SYNC_TO_MODEL_TARGET_SECONDS:.0f} s: {verdict})"
    )
    ratio = statistics.median(ratios)
    print(
        f"pairs: {', '.join(f'{r:.2f}x' for r in ratios)} (target <= {TRANSFORM_TARGET_RATIO}x: "
        f"{'met' if ratio <= TRANSFORM_TARGET_RATIO else 'NOT met'})"
    )
    print(f"scheduler transform/bare dbt build: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
