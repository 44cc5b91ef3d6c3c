"""A local stand-in for the part of Airbyte's public API that the Airflow provider uses.

Public API (under `api_base_path`, `/v1` as on Airbyte Cloud; OSS serves `/api/public/v1`):
  POST   {base}/applications/token   client credentials (form) -> {access_token, token_type, expires_in}
  POST   {base}/jobs                 JobCreateRequest -> JobResponse (starts the connection's sync)
  GET    {base}/jobs/{jobId}         JobResponse
  DELETE {base}/jobs/{jobId}         cancel -> JobResponse
  GET    {base}/health               200, no credentials needed
Stand-in only (outside the API, no credentials, loopback):
  GET/POST /_standin/clock           {"today": "YYYY-MM-DD"}: the day the simulated sources are synced as of
  POST   /_standin/faults/{connId}   ConnectionFaults as JSON (replaces that connection's faults)
  GET    /_standin/jobs              every job, as JobResponse plus the stand-in's failure note

Shapes follow the airbyte-api SDK (1.0.1) the provider uses: 200 with application/json on
success, problem+json on errors, 409 when the connection already has a job in progress
("A sync is already running"), 401 on bad credentials or tokens.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from standin.airbyte_api.connections import StandinConnection, connections_from_sources
from standin.airbyte_api.faults import ConnectionFaults
from standin.airbyte_api.jobs import Job, run_job

if TYPE_CHECKING:
    from standin.simulator import Scenario

log = logging.getLogger(__name__)

DEFAULT_CLIENT_ID = "shop-analytics-standin"
# Airbyte Cloud's application tokens live 3 minutes; the SDK renews them 60 s before expiry.
TOKEN_LIFETIME_SECONDS = 180
FIRST_JOB_ID = 1001
ADMIN_PREFIX = "/_standin"


class ApiError(Exception):
    def __init__(self, status: HTTPStatus, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class AirbyteApiStandin:
    """The stand-in server: jobs, credentials, clock and fault switches. Thread-safe."""

    def __init__(
        self,
        duckdb_path: Path | str,
        today: date,
        *,
        connections: Mapping[str, StandinConnection] | None = None,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        api_base_path: str = "/v1",
        scenario: Scenario | None = None,
    ) -> None:
        self.duckdb_path = Path(duckdb_path)
        self.connections = dict(connections) if connections is not None else connections_from_sources()
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.host = host
        self.port = port
        self.api_base_path = "/" + api_base_path.strip("/")
        self.scenario = scenario
        self._today = today
        self._faults: dict[str, ConnectionFaults] = {}
        self._jobs: dict[int, Job] = {}
        self._job_threads: list[threading.Thread] = []
        self._job_ids = itertools.count(FIRST_JOB_ID)
        self._lock = threading.Lock()
        self._duckdb_writer_lock = threading.Lock()
        self._http: ThreadingHTTPServer | None = None
        self._http_thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The API server URL, as the Airflow connection's `host` (trailing slash: see docs/airbyte.md)."""
        return f"http://{self.host}:{self.port}{self.api_base_path}/"

    @property
    def token_url(self) -> str:
        return f"{self.url}applications/token"

    @property
    def admin_url(self) -> str:
        return f"http://{self.host}:{self.port}{ADMIN_PREFIX}"

    def start(self) -> AirbyteApiStandin:
        """Listen (on a free port the first time, on the same port after take_down())."""
        if self._http is not None:
            raise RuntimeError(f"the Airbyte stand-in already listens on {self.url}")
        self._http = ThreadingHTTPServer((self.host, self.port), _handler_for(self))
        self._http.daemon_threads = True
        self.port = self._http.server_address[1]
        self._http_thread = threading.Thread(
            target=self._http.serve_forever, name=f"airbyte-standin-{self.port}", daemon=True
        )
        self._http_thread.start()
        log.info("Airbyte stand-in listening on %s (today = %s)", self.url, self._today)
        return self

    def take_down(self) -> None:
        """Stop answering (connections refused) while jobs carry on, as when Airbyte's API server is down."""
        if self._http is None:
            return
        self._http.shutdown()
        self._http.server_close()
        self._http_thread.join()
        self._http = self._http_thread = None

    def bring_up(self) -> None:
        self.start()

    def stop(self, job_grace_seconds: float = 30.0) -> None:
        """Stop listening, cancel jobs still waiting, and let syncs in flight finish their DuckDB writes."""
        self.take_down()
        with self._lock:
            for job in self._jobs.values():
                if job.in_progress:
                    job.request_cancel()
            threads = list(self._job_threads)
        for thread in threads:
            thread.join(job_grace_seconds)
            if thread.is_alive():
                log.warning("Airbyte stand-in job thread %s still running after %s s", thread.name, job_grace_seconds)

    # -- what tests and the local runner control -------------------------------------

    @property
    def today(self) -> date:
        return self._today

    def set_today(self, today: date) -> None:
        """The day new jobs sync as of (Airbyte jobs carry no date; the simulated sources do)."""
        self._today = today

    def set_faults(self, connection_id: str, **switches) -> ConnectionFaults:
        """Switch faults on for one connection (replacing its previous ones); see ConnectionFaults."""
        self._connection(connection_id)
        faults = ConnectionFaults.from_json(switches)
        with self._lock:
            self._faults[connection_id] = faults
        return faults

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def job(self, job_id: int) -> Job:
        with self._lock:
            return self._jobs[int(job_id)]

    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    # -- the API ---------------------------------------------------------------------

    def issue_token(self, form: Mapping[str, str]) -> dict:
        if form.get("grant_type") != "client_credentials":
            raise ApiError(HTTPStatus.BAD_REQUEST, "grant_type must be client_credentials")
        given_id, given_secret = form.get("client_id", ""), form.get("client_secret", "")
        if not (
            hmac.compare_digest(given_id, self.client_id) and hmac.compare_digest(given_secret, self.client_secret)
        ):
            raise ApiError(HTTPStatus.UNAUTHORIZED, "invalid client_id or client_secret")
        claims = json.dumps({"sub": self.client_id, "exp": int(time.time()) + TOKEN_LIFETIME_SECONDS}).encode()
        payload = base64.urlsafe_b64encode(claims).decode()
        return {
            "access_token": f"{payload}.{self._sign(payload)}",
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECONDS,
        }

    def check_bearer(self, authorization: str | None) -> None:
        # Tokens are signed, not stored (like Airbyte's JWTs): they stay valid across a
        # take_down()/bring_up(), and the SDK's process-wide token cache keeps working.
        scheme, _, token = (authorization or "").partition(" ")
        payload, _, signature = token.partition(".")
        if scheme.lower() != "bearer" or not payload or not hmac.compare_digest(signature, self._sign(payload)):
            raise ApiError(HTTPStatus.UNAUTHORIZED, "missing or invalid bearer token")
        if json.loads(base64.urlsafe_b64decode(payload))["exp"] < time.time():
            raise ApiError(HTTPStatus.UNAUTHORIZED, "bearer token expired")

    def _sign(self, payload: str) -> str:
        key = hashlib.sha256(f"{self.client_id}:{self.client_secret}".encode()).digest()
        return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()

    def create_job(self, body: dict) -> dict:
        connection_id, job_type = body.get("connectionId"), body.get("jobType")
        if not isinstance(connection_id, str) or job_type is None:
            raise ApiError(HTTPStatus.BAD_REQUEST, "a JobCreateRequest needs connectionId (string) and jobType")
        if job_type != "sync":
            raise ApiError(HTTPStatus.BAD_REQUEST, f"the stand-in runs sync jobs only, not {job_type!r}")
        connection = self._connection(connection_id)
        with self._lock:
            running = [job for job in self._jobs.values() if job.connection is connection and job.in_progress]
            if running:
                raise ApiError(HTTPStatus.CONFLICT, f"A sync is already running for: {connection_id}")
            faults = self._faults.get(connection_id, ConnectionFaults())
            job = Job(
                job_id=next(self._job_ids),
                connection=connection,
                sync_day=self._today,
                queued_polls=faults.queued_polls,
            )
            self._jobs[job.job_id] = job
            thread = threading.Thread(
                target=run_job,
                args=(job, faults, self.duckdb_path, self._duckdb_writer_lock, self.scenario),
                name=f"airbyte-standin-job-{job.job_id}",
                daemon=True,
            )
            self._job_threads.append(thread)
        log.info("job %s created for %s (sync day %s)", job.job_id, connection.source_name, job.sync_day)
        response = job.to_json()  # `pending`: taken before the job's thread can move it on
        thread.start()
        return response

    def get_job(self, job_id: int) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise ApiError(HTTPStatus.NOT_FOUND, f"job {job_id} not found")
        return job

    def cancel_job(self, job: Job) -> dict:
        if not job.in_progress:
            raise ApiError(HTTPStatus.CONFLICT, f"job {job.job_id} is already {job.status}; only running jobs cancel")
        job.request_cancel()
        return job.to_json()

    def _connection(self, connection_id: str) -> StandinConnection:
        connection = self.connections.get(connection_id)
        if connection is None:
            raise ApiError(
                HTTPStatus.NOT_FOUND,
                f"connection {connection_id} not found; the stand-in knows {sorted(self.connections)}",
            )
        return connection

    def suffer_faults(self, connection_id: str) -> None:
        """The per-connection HTTP faults: delay every answer, and fail the next few with 503."""
        with self._lock:
            faults = self._faults.get(connection_id)
            if faults is None:
                return
            if faults.server_errors:
                self._faults[connection_id] = replace(faults, server_errors=faults.server_errors - 1)
        if faults.response_delay_seconds:
            time.sleep(faults.response_delay_seconds)
        if faults.server_errors:
            raise ApiError(HTTPStatus.SERVICE_UNAVAILABLE, "fault switched on: server_errors")


_JOB_PATH = re.compile(r"/jobs/(\d+)")


def _handler_for(standin: AirbyteApiStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "AirbyteApiStandin/1"

        def log_message(self, format: str, *args) -> None:
            log.debug("%s %s", self.address_string(), format % args)

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def do_DELETE(self) -> None:
            self._answer()

        def _answer(self) -> None:
            try:
                body = self._read_body()
                if self.path.startswith(ADMIN_PREFIX + "/"):
                    self._send_json(HTTPStatus.OK, self._admin(self.path[len(ADMIN_PREFIX) :], body))
                elif self.path.startswith(standin.api_base_path + "/"):
                    self._send_json(HTTPStatus.OK, self._api(self.path[len(standin.api_base_path) :], body))
                else:
                    raise ApiError(HTTPStatus.NOT_FOUND, f"no route {self.command} {self.path}")
            except ApiError as error:
                self._send_problem(error.status, error.detail)
            except (ValueError, KeyError) as error:
                self._send_problem(HTTPStatus.BAD_REQUEST, f"{type(error).__name__}: {error}")
            except (BrokenPipeError, ConnectionResetError):
                log.debug("client of %s %s went away before the answer", self.command, self.path)

        def _api(self, route: str, body: bytes) -> dict:
            method = self.command
            if method == "GET" and route == "/health":
                return {"available": True}
            if method == "POST" and route == "/applications/token":
                form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
                return standin.issue_token(form)
            standin.check_bearer(self.headers.get("Authorization"))
            if method == "POST" and route == "/jobs":
                request = json.loads(body or b"{}")
                standin.suffer_faults(str(request.get("connectionId")))
                return standin.create_job(request)
            match = _JOB_PATH.fullmatch(route)
            if match and method in ("GET", "DELETE"):
                job = standin.get_job(int(match.group(1)))
                standin.suffer_faults(job.connection.connection_id)
                if method == "DELETE":
                    return standin.cancel_job(job)
                return job.serve()
            raise ApiError(HTTPStatus.NOT_FOUND, f"no route {method} {standin.api_base_path}{route}")

        def _admin(self, route: str, body: bytes) -> dict | list:
            method = self.command
            if route == "/clock" and method == "POST":
                standin.set_today(date.fromisoformat(json.loads(body)["today"]))
            if route == "/clock" and method in ("GET", "POST"):
                return {"today": standin.today.isoformat()}
            if route.startswith("/faults/") and method == "POST":
                faults = standin.set_faults(route[len("/faults/") :], **json.loads(body or b"{}"))
                return faults.__dict__
            if route == "/jobs" and method == "GET":
                return [{**job.to_json(), "standinFailure": job.failure} for job in standin.jobs()]
            raise ApiError(HTTPStatus.NOT_FOUND, f"no stand-in route {method} {ADMIN_PREFIX}{route}")

        def _read_body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send_json(self, status: HTTPStatus, payload: dict | list, content_type: str = "application/json"):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send_problem(self, status: HTTPStatus, detail: str) -> None:
            problem = {
                "type": "https://reference.airbyte.com/reference/errors",
                "title": status.phrase,
                "status": int(status),
                "detail": detail,
            }
            self._send_json(status, problem, content_type="application/problem+json")

    return Handler


@contextmanager
def running_airbyte_standin(duckdb_path: Path | str, today: date, **options) -> Iterator[AirbyteApiStandin]:
    """Start the stand-in on a free loopback port for the block; stop it (and its jobs) after."""
    standin = AirbyteApiStandin(duckdb_path, today, **options).start()
    try:
        yield standin
    finally:
        standin.stop()
