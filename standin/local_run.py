"""`make run`: the whole DAG, once, on the embedded default (DuckDB + local Airbyte stand-in).

Idempotent: running it again for the same logical date re-syncs (Airbyte re-sends its
lookback window, staging deduplicates) and rebuilds the same marts.

`make ui` (--ui): the same project under `airflow standalone` (the real scheduler, parallel
tasks, the UI with the dbt docs view) beside the Airbyte stand-in, until Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from shop_analytics.config import REPO_ROOT, Settings, load_sources
from standin.airbyte_api import running_airbyte_standin
from standin.dashboard_server import serving_dashboard
from standin.local_airflow import UI_LOGIN, DagRunOutcome, LocalAirflow, latest_synced_logical_date


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make run", description=__doc__)
    parser.add_argument(
        "--logical-date",
        type=date.fromisoformat,
        default=latest_synced_logical_date(),
        help=(
            "the day the run covers (default: the latest day whose morning sync has happened: yesterday, UTC, "
            "or the day before in the first hours after UTC midnight); Airbyte syncs as of the next morning"
        ),
    )
    parser.add_argument("--airflow-home", type=Path, default=REPO_ROOT / ".airflow")
    parser.add_argument("--duckdb-path", type=Path, default=Settings.from_env().duckdb_path)
    parser.add_argument("--ui", action="store_true", help="run Airflow standalone with its UI instead of one DAG run")
    parser.add_argument("--port", type=int, default=8080, help="the UI's port (with --ui)")
    return parser.parse_args(argv)


def summarise(duckdb_path: Path, outcome: DagRunOutcome, logical_date: date) -> str:
    lines = [f"DAG run for {logical_date}: {outcome.state}  ({dict(outcome.states())})"]
    with duckdb.connect(str(duckdb_path), read_only=True) as db:
        for source in load_sources().values():
            counts = db.execute(
                "select table_name, estimated_size from duckdb_tables() where schema_name = ? order by table_name",
                [source.raw_schema],
            ).fetchall()
            total = sum(rows for _, rows in counts)
            lines.append(f"  raw rows landed, {source.name:<9} {total:>10,}  ({len(counts)} streams)")
        lines.append(
            f"  dbt models built and tested: {outcome.dbt_models()}, sources fresh: "
            f"{outcome.count('transform.sources.')}, seeds loaded: {outcome.count('transform.seeds.')}"
        )
        headline = db.execute(
            """
            select shop_id, currency_code, sum(orders), sum(net_sales), sum(net_profit)
            from marts.fct_sales_daily
            where date_day = ?
            group by all order by shop_id
            """,
            [logical_date],
        ).fetchall()
        for shop_id, currency, orders, net_sales, net_profit in headline:
            lines.append(
                f"  shop {shop_id} on {logical_date}: {orders} orders, net sales {net_sales:,.2f} {currency}, "
                f"net profit {net_profit:,.2f} {currency}"
            )
    lines.append(f"  DuckDB file: {duckdb_path}")
    lines.append(f"  Airflow log: {outcome.log_path}")
    return "\n".join(lines)


# Every way a terminal or a process manager stops `make ui`: Ctrl-C, closing the terminal, `kill`.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STOP_GRACE_SECONDS = 60


class Stopped(Exception):
    """`make ui` was asked to stop by a signal."""


def _raise_stopped(signum: int, _frame: object) -> None:
    raise Stopped(signal.Signals(signum).name)


def run_session_until_stopped(server: subprocess.Popen) -> int:
    """Wait for `server`, leader of its own session (scheduler, triggerer, API server, DAG
    processor, workers: `airflow standalone` starts them as children), and stop the whole
    session however this process is asked to stop. The session does not share the
    terminal's process group, so neither Ctrl-C nor a closed terminal reaches it unless we
    pass it on; left running it would hold the port and the DuckDB file."""
    previous = {stop: signal.signal(stop, _raise_stopped) for stop in STOP_SIGNALS}
    try:
        return server.wait()
    except Stopped:
        return 0
    finally:
        for stop in STOP_SIGNALS:
            signal.signal(stop, signal.SIG_IGN)
        stop_session(server)
        for stop, handler in previous.items():
            signal.signal(stop, handler)


def stop_session(server: subprocess.Popen) -> None:
    """SIGTERM to every process of the server's session, SIGKILL to what is left after the grace period."""
    for stop in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, stop)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while time.monotonic() < deadline and _session_alive(server.pid):
            server.poll()
            time.sleep(0.5)
        if not _session_alive(server.pid):
            break
    server.wait()


def _session_alive(session_id: int) -> bool:
    """Whether any process is still in the session (children of the leader outlive it)."""
    for status in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # pid (comm) state ppid pgrp session ...: comm may hold spaces, so split after it.
            fields = status.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == session_id and fields[0] != "Z":
                return True
    return False


def _stop_with_parent() -> None:
    """Linux: get SIGTERM when the parent (`make`) dies, so killing `make ui` stops the UI too."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def serve_ui(airflow: LocalAirflow, port: int) -> int:
    _stop_with_parent()
    today = datetime.now(UTC).date()
    with (
        running_airbyte_standin(duckdb_path=airflow.duckdb_path, today=today) as airbyte,
        serving_dashboard(port + 1) as dashboard_url,  # the dashboard preview (`make dashboard`)
    ):
        env = airflow.ui_env(airflow.env(airbyte.url, airbyte.client_id, airbyte.client_secret), port)
        log_path = airflow.airflow_home / "standalone.log"
        server = airflow.standalone(env, log_path)
        username, password = UI_LOGIN
        print(
            f"Airflow UI on http://localhost:{port} (login {username} / {password}); Airbyte stand-in on "
            f"{airbyte.url}; logs in {log_path}. dbt docs in the UI need `make docs`. Ctrl-C stops both.",
            flush=True,
        )
        print(f"Dashboard preview (`make dashboard` renders it): {dashboard_url}", flush=True)
        return run_session_until_stopped(server)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    args.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    airflow = LocalAirflow(airflow_home=args.airflow_home, duckdb_path=args.duckdb_path)
    if args.ui:
        return serve_ui(airflow, args.port)
    started = time.monotonic()
    sync_day = args.logical_date + timedelta(days=1)
    with running_airbyte_standin(duckdb_path=args.duckdb_path, today=sync_day) as airbyte:
        env = airflow.env(airbyte.url, airbyte.client_id, airbyte.client_secret)
        print(f"Airbyte stand-in on {airbyte.url}; running DAG etsy_shop_analytics for {args.logical_date} ...")
        outcome = airflow.test_dag(env, args.logical_date)
    if not outcome.succeeded:
        failed = sorted(task for task, state in outcome.task_states.items() if state not in ("success", "skipped"))
        print(f"DAG run failed ({outcome.state}); tasks not successful: {failed}\nSee {outcome.log_path}")
        return 1
    print(summarise(args.duckdb_path, outcome, args.logical_date))
    print(f"  took {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
