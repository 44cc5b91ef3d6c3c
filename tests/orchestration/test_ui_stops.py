"""`make ui` stops everything it started, however it is stopped: Ctrl-C (SIGINT), a closed
terminal (SIGHUP), a process manager (SIGTERM), or `make` itself killed.

`airflow standalone` runs in its own session (its scheduler, triggerer, API server, DAG
processor and workers are its children there), so a signal to `make ui` reaches it only
through `standin.local_run.run_session_until_stopped`. Here that function supervises a
stand-in session: a leader with two children, like standalone's, that ignore nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from shop_analytics.config import REPO_ROOT

# The session: a leader and two long-lived children, every pid written to a file.
SESSION = textwrap.dedent(
    """
    import subprocess, sys, time
    children = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"]) for _ in range(2)]
    open(sys.argv[1], "w").write(" ".join(str(p.pid) for p in children))
    time.sleep(600)
    """
)
# `make ui`'s python: starts the session and supervises it as serve_ui does.
SUPERVISOR = textwrap.dedent(
    """
    import subprocess, sys
    from standin.local_run import _stop_with_parent, run_session_until_stopped
    _stop_with_parent()
    server = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]], start_new_session=True)
    print(server.pid, flush=True)
    sys.exit(run_session_until_stopped(server))
    """
)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_until(condition, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _start(tmp_path: Path, parent: list[str]) -> tuple[subprocess.Popen, list[int]]:
    pids_file = tmp_path / "children"
    env = {**os.environ, "PYTHONPATH": f"{REPO_ROOT / 'plugins'}{os.pathsep}{REPO_ROOT}"}
    process = subprocess.Popen(
        [*parent, sys.executable, "-c", SUPERVISOR, SESSION, str(pids_file)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert _wait_until(lambda: pids_file.exists() and pids_file.read_text().strip()), "the session did not start"
    children = [int(pid) for pid in pids_file.read_text().split()]
    return process, children


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_every_stop_signal_stops_the_whole_session(tmp_path, stop):
    supervisor, children = _start(tmp_path, [])
    leader = int(supervisor.stdout.readline())
    supervisor.send_signal(stop)
    assert supervisor.wait(timeout=30) == 0
    still_running = [pid for pid in [leader, *children] if _alive(pid)]
    assert not still_running, f"{stop.name} left processes of the session running: {still_running}"


def test_killing_make_stops_the_whole_session(tmp_path):
    """`make` killed outright (SIGKILL passes nothing on): the supervisor learns from its parent's death."""
    make, children = _start(tmp_path, ["/bin/sh", "-c", 'exec "$@" & wait', "make"])
    make.kill()
    make.wait()
    assert _wait_until(lambda: not any(_alive(pid) for pid in children)), f"left running: {children}"
