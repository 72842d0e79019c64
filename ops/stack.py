"""Starting the real processes (Redis, action server, Rasa, web app) on free ports: for end-to-end
tests and `make eval VIA=rasa`."""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from handoff.settings import HandoffSettings

from knowledge.contract import SUGGESTIONS_PATH
from knowledge.settings import REPO_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise TimeoutError(f"{url} did not answer within {seconds:.0f}s:\n{log.read_text()[-3000:]}")


@dataclass
class Stack:
    workdir: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    rasa_token: str = ""  # Rasa's --auth-token: its HTTP API (trackers, model) answers only with it
    actions_token: str = ""  # the action server's ACTIONS_TOKEN: its webhook and /suggestions answer only with it
    _how: dict[str, tuple[list[str], str | None, float, dict[str, str] | None]] = field(default_factory=dict)

    def start(self, name: str, command: list[str], health: str | None = None, seconds: float = 300,
              env: dict[str, str] | None = None) -> None:
        log = self.workdir / f"{name}.log"
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env={**self.env, **(env or {})}, stdout=log.open("a"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        self._how[name] = (command, health, seconds, env)
        if health:
            wait_for(health, process, log, seconds)

    def restart(self, name: str) -> None:
        """Stop one process (SIGTERM, as an orchestrator would) and start it again."""
        process = self.processes.pop(name)
        process.terminate()
        process.wait(timeout=30)
        self.start(name, *self._how[name])

    def kill(self, name: str) -> None:
        """SIGKILL, as a crash would; `start_again` brings it back with the same command.
        The whole process group: the action server's Sanic workers are child processes, and one
        left running would keep serving its port."""
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)  # start_new_session: the group is the process's own
        process.wait(timeout=30)

    def start_again(self, name: str) -> None:
        self.processes.pop(name)
        self.start(name, *self._how[name])

    def stop(self) -> None:
        for process in reversed(self.processes.values()):
            process.terminate()
        for process in reversed(self.processes.values()):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def warm_up_actions(actions_url: str, seconds: float = 900, token: str | None = None) -> None:
    """The action server loads the knowledge base (and calibrates a new version) on its first call;
    make that call here (asking for suggestions), so that no customer message times out in Rasa waiting for it.
    `token`: the action server's ACTIONS_TOKEN (default: that environment variable)."""
    token = token if token is not None else os.environ.get("ACTIONS_TOKEN")
    httpx.post(f"{actions_url.rstrip('/')}{SUGGESTIONS_PATH}", timeout=seconds, params={"token": token} if token else {},
               json={"text": "hello", "lang": "en"}).raise_for_status()


# The From of the stack's email replies to tickets, when it is given a mail server.
STACK_SMTP_FROM = "Lumen Mobile <help@lumen.example>"


def start_stack(workdir: Path, chroma_path: Path, with_web: bool = True, smtp_url: str | None = None) -> Stack:
    """`smtp_url`: the mail server the web app sends agents' email replies to tickets through (SMTP_URL);
    None leaves email as the environment has it."""
    if not any((REPO_ROOT / "models").glob("*.tar.gz")):
        raise RuntimeError("no trained Rasa model in models/: run `make train` first (make test does)")
    redis_port, actions_port, rasa_port, web_port = free_port(), free_port(), free_port(), free_port()
    # Hex: a token starting with "-" would read as an option on a command line.
    rasa_token, actions_token = secrets.token_hex(24), secrets.token_hex(24)
    env = {
        # Plain http on 127.0.0.1, and every test or simulated customer comes from that one address:
        # no Secure cookie, no rate limits, unless the environment says otherwise.
        "SECURE_COOKIES": "false",
        "MESSAGES_PER_ADDRESS": "0",
        "MESSAGES_PER_CONVERSATION": "0",
        "CONVERSATIONS_PER_ADDRESS": "0",
        "TYPING_PER_ADDRESS": "0",
        "TYPING_PER_CONVERSATION": "0",
        # Returning customers: tests sign customer ids with it (stack.env["CUSTOMER_ID_SECRET"]).
        "CUSTOMER_ID_SECRET": secrets.token_hex(16),
        # The insights' SQL store: the stack's own SQLite file, unless DATABASE_URL names one.
        "DATABASE_URL": f"sqlite:///{workdir / 'insights.db'}",
        **os.environ,
        "CHROMA_PATH": str(chroma_path),
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(REPO_ROOT),
        "RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "RASA_TOKEN": rasa_token,
        "ACTIONS_TOKEN": actions_token,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "ACTIONS_URL": f"http://127.0.0.1:{actions_port}",
    }
    env.pop("CHROMA_HOST", None)
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n  token: "{actions_token}"\n'
        f"lock_store:\n  type: redis\n  url: 127.0.0.1\n  port: {redis_port}\n  db: 0\n  key_prefix: rasa\n"
        f"tracker_store:\n  type: redis\n  url: 127.0.0.1\n  port: {redis_port}\n  db: 0\n  key_prefix: rasa\n"
        # Trackers expire with the conversations, as in endpoints.yml.
        f"  record_exp: {os.environ.get('CONVERSATION_RETENTION_S', str(HandoffSettings().conversation_retention_s))}\n"
    )
    stack = Stack(workdir, env, rasa_token=rasa_token, actions_token=actions_token)
    stack.urls = {
        "redis": f"redis://127.0.0.1:{redis_port}/0",
        "actions": f"http://127.0.0.1:{actions_port}",
        "rasa": f"http://127.0.0.1:{rasa_port}",
        "web": f"http://127.0.0.1:{web_port}",
    }
    (workdir / "redis").mkdir()
    try:
        stack.start("redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                              "--dir", str(workdir / "redis"), "--appendonly", "yes", "--appendfsync", "always", "--save", ""])
        stack.start("actions", [str(REPO_ROOT / ".venv-app/bin/python"), "-m", "actions.server", "--actions", "actions",
                                "--port", str(actions_port)], health=f"{stack.urls['actions']}/health")
        warm_up_actions(stack.urls["actions"], token=actions_token)
        # Through our launcher, as make run starts it: Rasa less its per-call overheads (ops/rasa_cli.py).
        stack.start("rasa", [str(REPO_ROOT / ".venv-rasa/bin/python"), "-m", "ops.rasa_cli", "run", "--enable-api",
                             "--interface", "127.0.0.1", f"--auth-token={rasa_token}", "--port", str(rasa_port),
                             "--model", "models", "--endpoints", str(endpoints), "--credentials", "credentials.yml"],
                    health=f"{stack.urls['rasa']}/status?token={rasa_token}", seconds=400)
        if with_web:
            mail = {"SMTP_URL": smtp_url, "SMTP_FROM": STACK_SMTP_FROM} if smtp_url else None
            stack.start("web", [str(REPO_ROOT / ".venv-app/bin/uvicorn"), "handoff.web.main:create_app", "--factory",
                                "--timeout-graceful-shutdown", "5", "--host", "127.0.0.1", "--port", str(web_port)],
                        health=f"{stack.urls['web']}/healthz", env=mail)
            # The content worker runs the editor pages' jobs (check, publish, preview, ...) for the web app.
            stack.start("worker", [str(REPO_ROOT / ".venv-app/bin/python"), "-m", "knowledge.publishing.worker"])
    except Exception:
        stack.stop()
        raise
    return stack
