"""The action server as `make run` starts it, stopped as honcho stops it on Ctrl-C (SIGTERM to its whole
process group): it ends on its own, with status 0 and no traceback."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from ops.stack import free_port, wait_for

from knowledge.settings import REPO_ROOT


def test_sigterm_to_the_process_group_stops_the_action_server_cleanly(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "actions.log"
    env = {**os.environ, "CHROMA_PATH": str(tmp_path / "chroma"), "PYTHONPATH": str(REPO_ROOT)}
    env.pop("ACTIONS_TOKEN", None)
    server = subprocess.Popen([sys.executable, "-m", "actions.server", "--actions", "actions", "--port", str(port)],
                              cwd=REPO_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/health", server, log, seconds=300)
        os.killpg(server.pid, signal.SIGTERM)
        status = server.wait(timeout=120)  # a bound for a hang, not a speed assertion
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
    output = log.read_text()
    assert status == 0, output[-3000:]
    assert "Traceback" not in output and "Error" not in output, output[-3000:]
