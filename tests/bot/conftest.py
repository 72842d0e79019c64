"""A real redis-server per test, on a free port, that a test can crash and restart (Rasa's side: .venv-rasa)."""
from __future__ import annotations

import asyncio
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rasa.core.lock_store import LockStore

DOWN_S = 1.5  # a crashed server's time down: shorter than the retries' 3.4 s, longer than one attempt


class RedisServer:
    def __init__(self, folder: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.folder = folder
        self.process = self._start()
        self.restarting: threading.Thread | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--enable-debug-command", "local"], stdout=subprocess.DEVNULL)
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return process
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def crash_and_restart_in_background(self) -> threading.Thread:
        """SIGKILL now; started again on the same port and files DOWN_S later."""
        self.process.kill()
        self.process.wait()

        def restart() -> None:
            time.sleep(DOWN_S)
            self.process = self._start()

        self.restarting = threading.Thread(target=restart)
        self.restarting.start()
        return self.restarting

    def stop(self) -> None:
        if self.restarting is not None:
            self.restarting.join()  # even when the test failed before it joined: no server left running
        self.process.kill()
        self.process.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    running = RedisServer(tmp_path)
    yield running
    running.stop()


async def hold_the_lock(store: LockStore, order: list[str], name: str, seconds: float, poll_s: float = 0.1) -> None:
    """One turn of the conversation "conversation": holds its ticket lock `seconds`, noting in `order` when it
    came in and went out."""
    async with store.lock("conversation", 10, wait_time_in_seconds=poll_s):
        order.append(f"{name} in")
        await asyncio.sleep(seconds)
        order.append(f"{name} out")
