"""The BigQuery emulator (bqemulator in .venv-bigquery, started through bigquery/emulator.py)
on free ports, and a google-cloud-bigquery client pointed at it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

REPO = Path(__file__).resolve().parents[2]
EMULATOR_VENV = REPO / ".venv-bigquery"
EMULATOR_PROJECT = "shop-analytics-emulator"


@dataclass(frozen=True)
class Emulator:
    endpoint: str
    project: str
    log_path: Path

    def client(self) -> bigquery.Client:
        return bigquery.Client(
            project=self.project,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=self.endpoint),
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_emulator(log_path: Path, timeout_seconds: float = 60) -> Iterator[Emulator]:
    python = EMULATOR_VENV / "bin" / "python"
    if not python.exists():
        raise FileNotFoundError(f"{python} is missing: run `make bigquery-venv` first")
    rest_port, grpc_port = _free_port(), _free_port()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(python),
                str(REPO / "bigquery" / "emulator.py"),
                "start",
                "--rest-host=127.0.0.1",
                f"--rest-port={rest_port}",
                f"--grpc-port={grpc_port}",
                f"--project={EMULATOR_PROJECT}",
                "--log-level=warning",
            ],
            # DuckDB finds the spatial extension make bigquery-venv installed under this HOME.
            env={**os.environ, "HOME": str(EMULATOR_VENV)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    emulator = Emulator(f"http://127.0.0.1:{rest_port}", EMULATOR_PROJECT, log_path)
    try:
        deadline = time.monotonic() + timeout_seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the BigQuery emulator exited with {process.returncode}: {log_path.read_text()[-3000:]}"
                )
            with contextlib.suppress(requests.ConnectionError):
                if requests.get(f"{emulator.endpoint}/bigquery/v2/projects/{EMULATOR_PROJECT}/datasets", timeout=5).ok:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError(f"the BigQuery emulator did not answer within {timeout_seconds} s: see {log_path}")
            time.sleep(0.5)
        yield emulator
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
