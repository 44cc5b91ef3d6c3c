"""`python -m standin.airbyte_api`: run the Airbyte API stand-in until interrupted.

Prints one JSON line with what an Airflow `airbyte` connection needs (url, client id,
secret, token URL), then serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
from datetime import date
from pathlib import Path

from standin.airbyte_api.server import DEFAULT_CLIENT_ID, AirbyteApiStandin
from standin.simulator import Scenario


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m standin.airbyte_api", description=__doc__)
    parser.add_argument("--duckdb-path", type=Path, required=True, help="the DuckDB file syncs land in")
    parser.add_argument("--today", type=date.fromisoformat, required=True, help="the day jobs sync as of")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind; 0.0.0.0 inside a container")
    parser.add_argument("--port", type=int, default=0, help="0 (default): a free port")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", help="default: a random one, printed at start")
    parser.add_argument("--api-base-path", default="/v1", help="/v1 like Airbyte Cloud, /api/public/v1 like OSS")
    parser.add_argument("--scenario", help="simulator Scenario as JSON (default: the simulator's default world)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    standin = AirbyteApiStandin(
        args.duckdb_path,
        args.today,
        client_id=args.client_id,
        client_secret=args.client_secret,
        host=args.host,
        port=args.port,
        api_base_path=args.api_base_path,
        scenario=Scenario.from_json(args.scenario) if args.scenario else None,
    ).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(
        json.dumps(
            {
                "url": standin.url,
                "client_id": standin.client_id,
                "client_secret": standin.client_secret,
                "token_url": standin.token_url,
                "admin_url": standin.admin_url,
            }
        ),
        flush=True,
    )
    stop.wait()
    standin.stop()


if __name__ == "__main__":
    main()
