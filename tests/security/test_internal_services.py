"""Internal services are internal (issue 13, "Rasa HTTP API" and "action server /webhook", "all
interfaces"): `make run` (Procfile) starts Rasa and the action server listening on this host only.
Their tokens are tested against the real processes in tests/e2e/test_handoff.py."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from knowledge.settings import REPO_ROOT
from ops.stack import free_port

PROCFILE = REPO_ROOT / "Procfile"
STARTUP_DEADLINE_S = 120  # a bound on a hung start, not a measure
LISTEN = "0A"  # the state of a listening socket in /proc/net/tcp
LOOPBACK = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1, as /proc/net/tcp{,6} write them


def _procfile_command(process: str) -> str:
    for line in PROCFILE.read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process:
            return command.strip()
    raise AssertionError(f"no {process} in {PROCFILE}")


def _listening_addresses(port: int) -> set[str]:
    addresses = set()
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            address, _, hex_port = fields[1].partition(":")
            if int(hex_port, 16) == port and fields[3] == LISTEN:
                addresses.add(address)
    return addresses


@pytest.fixture
def action_server_as_make_runs_it(tmp_path: Path) -> Iterator[int]:
    """The Procfile's own command line for the action server, with nothing in the environment saying where to listen."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "SANIC_HOST"}
    env |= {"ACTIONS_PORT": str(port), "PYTHONPATH": str(REPO_ROOT), "CHROMA_PATH": str(tmp_path / "chroma")}
    env.pop("CHROMA_HOST", None)
    log = (tmp_path / "actions.log").open("wb")
    process = subprocess.Popen(["bash", "-c", f"exec {_procfile_command('actions')}"], cwd=REPO_ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_DEADLINE_S
        while not _answers(f"http://127.0.0.1:{port}/health"):
            assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "actions.log").read_text()[-2000:]
            time.sleep(0.3)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        log.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_action_server_listens_on_this_host_only(action_server_as_make_runs_it: int) -> None:
    listening = _listening_addresses(action_server_as_make_runs_it)
    assert listening and listening <= LOOPBACK, listening


def test_rasa_listens_on_this_host_only_and_requires_its_token() -> None:
    command = _procfile_command("rasa").split()
    assert command[command.index("--interface") + 1] == "127.0.0.1"
    # One word with its value: a token starting with "-" would otherwise read as an option.
    assert "--auth-token=${RASA_TOKEN}" in command
