"""Etsy Open API v3, as far as the shop analytics connector reads it, served from the
simulator's world (the records the stand-in's sync lands), in Etsy's wire format.

  POST /v3/public/oauth/token                       refresh-token grant -> new access + refresh token
  GET  /v3/application/shops/{shop_id}              Shop
  GET  /v3/application/shops/{shop_id}/listings     ?state=&limit=&offset=
  GET  /v3/application/shops/{shop_id}/receipts     ?min_last_modified=&max_last_modified=&limit=&offset=
  GET  /v3/application/shops/{shop_id}/receipts/{receipt_id}/payments
  GET  /v3/application/shops/{shop_id}/reviews      ?min_created=&max_created=&limit=&offset=
  GET  /v3/application/shops/{shop_id}/payment-account/ledger-entries
                                                    ?min_created=&max_created= (required, <= 31 days)

Every application call needs `x-api-key: <keystring>:<shared secret>` (a keystring alone is
refused, as Etsy does since February 2026) and `Authorization: Bearer <access token>`; lists
are `{"count", "results"}` with limit (<= 100) / offset; every answer carries Etsy's
`x-limit-*` / `x-remaining-*` rate-limit headers, and the limits are enforced: beyond the
per-second limit (a sliding second) a call gets 429 with Retry-After, and once the day's
budget is spent every call gets 429 with `x-remaining-today: 0` (both limits are set per
stand-in, as Etsy sets them per app). Faults (EtsyApiFaults) answer the next requests with
429 (with Retry-After) or 5xx, as Etsy does under load.

The API serves the world as of its clock: only records created at or before the moment of the
request (`now()`), never one from the future of the sync that reads it."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from standin.simulator import Scenario, records

ACCESS_TOKEN_SECONDS = 3600
MAX_PAGE = 100
MAX_LEDGER_WINDOW_SECONDS = 31 * 86400
RATE_LIMIT_PER_SECOND = 150
RATE_LIMIT_PER_DAY = 100_000
# The field each list is filtered on by the moment of the request, and by the min/max params.
CREATED_FIELD = {
    "listings": "created_timestamp",
    "receipts": "created_timestamp",
    "payments": "created_timestamp",
    "reviews": "created_timestamp",
    "ledger_entries": "created_timestamp",
}


@dataclass
class EtsyApiFaults:
    """What the next requests to /v3/application get instead of their answer."""

    rate_limited: int = 0  # this many 429s, with Retry-After
    retry_after_seconds: int = 1
    server_errors: int = 0  # then this many 503s


@dataclass
class _Credentials:
    keystring: str
    shared_secret: str
    refresh_tokens: set[str] = field(default_factory=set)
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (epoch)


class EtsyApiStandin:
    """The server: start(), base_url / token_url, stop(). Thread-safe."""

    def __init__(
        self,
        scenario: Scenario,
        now: Callable[[], dt.datetime],
        *,
        keystring: str = "standinkeystring",
        shared_secret: str = "standinsecret",
        refresh_token: str = "standin-refresh-token",
        host: str = "127.0.0.1",
        port: int = 0,
        per_second_limit: int = RATE_LIMIT_PER_SECOND,
        per_day_limit: int = RATE_LIMIT_PER_DAY,
    ) -> None:
        self.scenario = scenario
        self.now = now
        self.credentials = _Credentials(keystring, shared_secret, {refresh_token})
        self.faults = EtsyApiFaults()
        self.requests: list[str] = []  # every path + query served, in order (tests read it)
        self.issued_refresh_tokens: list[str] = []
        self._lock = threading.Lock()
        self._world: dict[tuple[str, dt.date], list[dict]] = {}
        self.per_second_limit = per_second_limit
        self.per_day_limit = per_day_limit
        self._remaining_today = per_day_limit
        self._calls_this_second: deque[float] = deque()  # monotonic times of the calls served in the last second
        self.admitted_at: list[float] = []  # monotonic time of every call served (tests read it)
        self.refused_for_rate = 0
        self._payment_index: tuple[dt.date | None, dict] = (None, {})
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v3/application"

    @property
    def token_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v3/public/oauth/token"

    @property
    def api_key(self) -> str:
        return f"{self.credentials.keystring}:{self.credentials.shared_secret}"

    def start(self) -> EtsyApiStandin:
        self._thread = threading.Thread(target=self._server.serve_forever, name="etsy-api-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> EtsyApiStandin:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- the world ------------------------------------------------------------------------

    def _records(self, stream: str) -> list[dict]:
        """The stream's records as the world holds them at this moment: the simulator's history
        as of the clock's day, cut at the request's moment."""
        moment = self.now()
        day = moment.astimezone(dt.UTC).date()
        with self._lock:
            if (stream, day) not in self._world:
                rows: list[dict] = []
                for table in records(self.scenario, "etsy", stream, day, None):
                    rows.extend(table.to_pylist())
                self._world = {k: v for k, v in self._world.items() if k[1] == day}
                self._world[(stream, day)] = rows
            rows = self._world[(stream, day)]
        if stream == "shops":
            return rows
        cutoff = int(moment.timestamp())
        return [r for r in rows if r[CREATED_FIELD[stream]] <= cutoff]

    def _payments_of_receipt(self, shop_id: int, receipt_id: int) -> list[dict]:
        """Payments by receipt, indexed once per day of the clock (one call per receipt)."""
        moment = self.now()
        day = moment.astimezone(dt.UTC).date()
        if self._payment_index[0] != day:
            index: dict[tuple[int, int], list[dict]] = {}
            for row in self._records("payments"):
                index.setdefault((row["shop_id"], row["receipt_id"]), []).append(row)
            self._payment_index = (day, index)
        cutoff = int(moment.timestamp())
        return [r for r in self._payment_index[1].get((shop_id, receipt_id), []) if r["created_timestamp"] <= cutoff]

    def token(self, form: dict[str, str]) -> tuple[HTTPStatus, dict]:
        if form.get("grant_type") != "refresh_token":
            return HTTPStatus.BAD_REQUEST, {"error": "unsupported_grant_type"}
        if form.get("client_id") != self.credentials.keystring:
            return HTTPStatus.UNAUTHORIZED, {"error": "invalid_client", "error_description": "client_id is unknown"}
        with self._lock:
            if form.get("refresh_token") not in self.credentials.refresh_tokens:
                return HTTPStatus.BAD_REQUEST, {
                    "error": "invalid_grant",
                    "error_description": "refresh_token is invalid or expired: authorise the app again",
                }
            access, refresh = f"{secrets.token_hex(8)}.access", f"{secrets.token_hex(8)}.refresh"
            self.credentials.access_tokens[access] = self.now().timestamp() + ACCESS_TOKEN_SECONDS
            # Etsy rotates the refresh token on every refresh: keep only the newest.
            self.credentials.refresh_tokens = {refresh}
            self.issued_refresh_tokens.append(refresh)
        return HTTPStatus.OK, {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_SECONDS,
            "refresh_token": refresh,
        }

    def authorise(self, headers) -> tuple[HTTPStatus, dict] | None:
        key = headers.get("x-api-key", "")
        if ":" not in key:
            return HTTPStatus.FORBIDDEN, {
                "error": "x-api-key must be '<keystring>:<shared secret>'; a keystring alone is refused"
            }
        if key != self.api_key:
            return HTTPStatus.FORBIDDEN, {"error": "Invalid API key"}
        bearer = headers.get("authorization", "")
        token = bearer.removeprefix("Bearer ")
        expiry = self.credentials.access_tokens.get(token)
        if not bearer.startswith("Bearer ") or expiry is None or expiry < self.now().timestamp():
            return HTTPStatus.UNAUTHORIZED, {"error": "invalid_token"}
        return None

    def fault(self) -> tuple[HTTPStatus, dict, dict] | None:
        with self._lock:
            if self.faults.rate_limited:
                self.faults.rate_limited -= 1
                return (
                    HTTPStatus.TOO_MANY_REQUESTS,
                    {"error": "You have exceeded your quota of requests per second"},
                    {"Retry-After": str(self.faults.retry_after_seconds), "x-remaining-this-second": "0"},
                )
            if self.faults.server_errors:
                self.faults.server_errors -= 1
                return HTTPStatus.SERVICE_UNAVAILABLE, {"error": "Service Unavailable"}, {}
        return None

    def get(self, path: str, query: dict[str, str]) -> tuple[HTTPStatus, dict]:
        match = re.fullmatch(r"/v3/application/shops/(\d+)(/.*)?", path)
        if not match:
            return HTTPStatus.NOT_FOUND, {"error": f"no resource {path}"}
        shop_id, rest = int(match.group(1)), match.group(2) or ""
        if not any(s.shop_id == shop_id for s in self.scenario.shops):
            return HTTPStatus.NOT_FOUND, {"error": f"Shop with shop_id {shop_id} not found"}
        try:
            limit = int(query.get("limit", 25))
            offset = int(query.get("offset", 0))
            bounds = {
                k: int(query[k])
                for k in ("min_created", "max_created", "min_last_modified", "max_last_modified")
                if k in query
            }
        except ValueError as error:
            return HTTPStatus.BAD_REQUEST, {"error": f"malformed query parameter: {error}"}
        if not 1 <= limit <= MAX_PAGE:
            return HTTPStatus.BAD_REQUEST, {"error": f"limit must be between 1 and {MAX_PAGE}"}
        if rest == "":
            return HTTPStatus.OK, next(r for r in self._records("shops") if r["shop_id"] == shop_id)
        if rest == "/listings":
            state = query.get("state", "active")
            rows = [r for r in self._records("listings") if r["shop_id"] == shop_id and r["state"] == state]
        elif rest == "/receipts":
            rows = [
                r
                for r in self._records("receipts")
                if r["shop_id"] == shop_id and _within(r, bounds, "created_timestamp", "updated_timestamp")
            ]
        elif payments := re.fullmatch(r"/receipts/(\d+)/payments", rest):
            rows = self._payments_of_receipt(shop_id, int(payments.group(1)))
            return HTTPStatus.OK, {"count": len(rows), "results": rows}
        elif rest == "/reviews":
            rows = [
                r
                for r in self._records("reviews")
                if r["shop_id"] == shop_id and _within(r, bounds, "created_timestamp")
            ]
        elif rest == "/payment-account/ledger-entries":
            if "min_created" not in bounds or "max_created" not in bounds:
                return HTTPStatus.BAD_REQUEST, {"error": "min_created and max_created are required"}
            if bounds["max_created"] - bounds["min_created"] > MAX_LEDGER_WINDOW_SECONDS:
                return HTTPStatus.BAD_REQUEST, {"error": "min_created and max_created must be at most 31 days apart"}
            rows = [
                r
                for r in self._records("ledger_entries")
                if r["shop_id"] == shop_id and _within(r, bounds, "created_timestamp")
            ]
        else:
            return HTTPStatus.NOT_FOUND, {"error": f"no resource {path}"}
        return HTTPStatus.OK, {"count": len(rows), "results": rows[offset : offset + limit]}

    def admit(self) -> tuple[bool, dict[str, str]]:
        """Count a call against the per-second and per-day limits: (served?, rate-limit headers)."""
        with self._lock:
            moment = time.monotonic()
            while self._calls_this_second and moment - self._calls_this_second[0] >= 1.0:
                self._calls_this_second.popleft()
            limits = {"x-limit-per-second": str(self.per_second_limit), "x-limit-per-day": str(self.per_day_limit)}
            remaining_today = str(max(self._remaining_today, 0))
            refused = {**limits, "x-remaining-this-second": "0", "x-remaining-today": remaining_today}
            if self._remaining_today <= 0:
                self.refused_for_rate += 1
                return False, {**refused, "Retry-After": "3600"}
            if len(self._calls_this_second) >= self.per_second_limit:
                self.refused_for_rate += 1
                return False, {**refused, "Retry-After": "1"}
            self._calls_this_second.append(moment)
            self.admitted_at.append(moment)
            self._remaining_today -= 1
            return True, {
                **limits,
                "x-remaining-this-second": str(self.per_second_limit - len(self._calls_this_second)),
                "x-remaining-today": str(self._remaining_today),
            }


def _within(row: dict, bounds: dict[str, int], created: str, modified: str | None = None) -> bool:
    """Etsy's min/max filters are inclusive epoch seconds."""
    checks = [("min_created", created, 1), ("max_created", created, -1)]
    if modified:
        checks += [("min_last_modified", modified, 1), ("max_last_modified", modified, -1)]
    for parameter, name, direction in checks:
        if parameter in bounds and (row[name] - bounds[parameter]) * direction < 0:
            return False
    return True


def _handler(api: EtsyApiStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
            pass

        def _send(self, status: HTTPStatus, body: dict, headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length).decode()
            if urlsplit(self.path).path != "/v3/public/oauth/token":
                self._send(HTTPStatus.NOT_FOUND, {"error": f"no resource {self.path}"})
                return
            if self.headers.get("Content-Type", "").startswith("application/json"):
                form = json.loads(body or "{}")
            else:
                form = {k: v[0] for k, v in parse_qs(body).items()}
            self._send(*api.token(form))

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            api.requests.append(self.path)
            refused = api.authorise(self.headers)
            if refused:
                self._send(*refused)
                return
            faulted = api.fault()
            if faulted:
                self._send(*faulted)
                return
            admitted, rate_headers = api.admit()
            if not admitted:
                quota = "day" if rate_headers["x-remaining-today"] == "0" else "second"
                self._send(
                    HTTPStatus.TOO_MANY_REQUESTS,
                    {"error": f"You have exceeded your quota of requests per {quota}"},
                    rate_headers,
                )
                return
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            status, body = api.get(parts.path, query)
            self._send(status, body, rate_headers)

    return Handler
