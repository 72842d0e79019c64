"""Starting the simulated cluster on this machine: two web apps, two Rasa servers, two action servers
and a content worker behind HAProxy; Chroma as a server; Redis as a primary and a replica under three
Sentinels. Each process is started as it would be on a host of its own, told only addresses."""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis

from handoff.settings import HandoffSettings
from knowledge.settings import REPO_ROOT
from ops.cluster.topology import (
    RASA_LOCK_LIFETIME_S, REPLICAS, SENTINELS, Ports, haproxy_config, rasa_endpoints, sentinel_config,
)
from ops.stack import Stack, wait_for, warm_up_actions

APP_PYTHON = str(REPO_ROOT / ".venv-app/bin/python")
RASA_PYTHON = str(REPO_ROOT / ".venv-rasa/bin/python")
# Every simulated customer comes from 127.0.0.1: no rate limit, and room for all their live streams on one web app.
NO_RATE_LIMITS = {**{name: "0" for name in ("MESSAGES_PER_ADDRESS", "MESSAGES_PER_CONVERSATION", "CONVERSATIONS_PER_ADDRESS",
                                            "TYPING_PER_ADDRESS", "TYPING_PER_CONVERSATION")},
                  "LIVE_STREAMS_PER_ADDRESS": "100000"}


@dataclass
class Cluster:
    stack: Stack  # the processes by name: redis1, redis2, sentinel1-3, haproxy, chroma, actions1-2, rasa1-2, web1-2, worker
    ports: Ports

    @property
    def url(self) -> str:
        """Where customers and agents go: HAProxy's web frontend."""
        return f"http://127.0.0.1:{self.ports.web}"

    @property
    def redis_url(self) -> str:
        """The current Redis primary, through HAProxy."""
        return f"redis://127.0.0.1:{self.ports.redis}/0"

    def redis_primary(self) -> str:
        """The process name of the Redis server the Sentinels call the primary now."""
        sentinel = redis.Redis(port=self.ports.sentinel(0), decode_responses=True)
        _, port = sentinel.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "primary")
        sentinel.close()
        return next(f"redis{r + 1}" for r in range(REPLICAS) if self.ports.redis_server(r) == int(port))

    def stop(self) -> None:
        self.stack.stop()


def _wait_for_redis(port: int, seconds: float = 30) -> None:
    client = redis.Redis(port=port)
    deadline = time.monotonic() + seconds
    while True:
        try:
            client.ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
        finally:
            client.close()


def _environment(ports: Ports, workdir: Path, rate_limits: bool) -> dict[str, str]:
    return {
        **({} if rate_limits else NO_RATE_LIMITS),
        "SECURE_COOKIES": "false",
        "CUSTOMER_ID_SECRET": secrets.token_hex(16),
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "PYTHONPATH": str(REPO_ROOT),
        "REDIS_URL": f"redis://127.0.0.1:{ports.redis}/0",
        "CHROMA_HOST": "127.0.0.1",
        "CHROMA_PORT": str(ports.chroma),
        "RASA_URL": f"http://127.0.0.1:{ports.rasa}",
        "ACTIONS_URL": f"http://127.0.0.1:{ports.actions}",
        "RASA_TOKEN": secrets.token_hex(24),
        "ACTIONS_TOKEN": secrets.token_hex(24),
        # Shared by the web apps and the worker: on several hosts, a shared volume (README).
        "EDITOR_DRAFTS_PATH": str(workdir / "drafts"),
        # HAProxy adds X-Forwarded-For: the web apps count rate limits per customer, not per proxy.
        "TRUSTED_PROXIES": '["127.0.0.1"]',
        # An acknowledged customer turn is on the replica too (handoff/connection.py: wait_for_replicas).
        "REDIS_REPLICA_ACKS": "1",
    }


def _start_stores(stack: Stack, ports: Ports, workdir: Path) -> None:
    for replica in range(REPLICAS):
        folder = workdir / f"redis{replica + 1}"
        folder.mkdir(exist_ok=True)
        # The replica fsyncs once a second: the web app's WAIT needs the write in its memory, not on its disk,
        # and with an fsync per write the replica's acknowledgement took 2.5 ms p50 instead of 0.4 (README).
        follow = ["--replicaof", "127.0.0.1", str(ports.redis_server(0)), "--appendfsync", "everysec"] if replica else [
            "--appendfsync", "always"]
        stack.start(f"redis{replica + 1}", [
            "redis-server", "--port", str(ports.redis_server(replica)), "--bind", "127.0.0.1", "--dir", str(folder),
            "--appendonly", "yes", "--save", "", *follow])
        _wait_for_redis(ports.redis_server(replica))
    for number in range(SENTINELS):
        config = workdir / f"sentinel{number + 1}.conf"
        config.write_text(sentinel_config(ports, number, workdir))
        stack.start(f"sentinel{number + 1}", ["redis-sentinel", str(config)])
    (workdir / "haproxy.cfg").write_text(haproxy_config(ports))
    stack.start("haproxy", ["haproxy", "-db", "-f", str(workdir / "haproxy.cfg")],
                health=f"http://127.0.0.1:{ports.stats}/", seconds=30)
    stack.start("chroma", [str(REPO_ROOT / ".venv-app/bin/chroma"), "run", "--path", str(workdir / "chroma"),
                           "--host", "127.0.0.1", "--port", str(ports.chroma)],
                health=f"http://127.0.0.1:{ports.chroma}/api/v2/heartbeat", seconds=60)
    _wait_for_redis(ports.redis)  # through HAProxy: its check has found the primary


def _start_services(stack: Stack, ports: Ports, workdir: Path) -> list[tuple[str, str]]:
    """Starts every replica at once (Rasa takes a minute or more to load); returns (name, health URL)."""
    retention = int(os.environ.get("CONVERSATION_RETENTION_S", str(HandoffSettings().conversation_retention_s)))
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(rasa_endpoints(ports, stack.env["ACTIONS_TOKEN"], retention))
    healths = []
    for replica in range(REPLICAS):
        name, port = f"actions{replica + 1}", ports.action_server(replica)
        stack.start(name, [APP_PYTHON, "-m", "actions.server", "--actions", "actions", "--port", str(port)])
        healths.append((name, f"http://127.0.0.1:{port}/health"))
        name, port = f"rasa{replica + 1}", ports.rasa_server(replica)
        stack.start(name, [RASA_PYTHON, "-m", "ops.rasa_cli", "run", "--enable-api", "--interface", "127.0.0.1",
                           f"--auth-token={stack.env['RASA_TOKEN']}", "--port", str(port), "--model", "models",
                           "--endpoints", str(endpoints), "--credentials", "credentials.yml"],
                    env={"TICKET_LOCK_LIFETIME": str(RASA_LOCK_LIFETIME_S)})
        healths.append((name, f"http://127.0.0.1:{port}/"))
        name, port = f"web{replica + 1}", ports.web_app(replica)
        stack.start(name, [str(REPO_ROOT / ".venv-app/bin/uvicorn"), "handoff.web.main:create_app", "--factory",
                           "--timeout-graceful-shutdown", "3", "--host", "127.0.0.1", "--port", str(port)])
        healths.append((name, f"http://127.0.0.1:{port}/healthz"))
    stack.start("worker", [APP_PYTHON, "-m", "knowledge.publishing.worker"])
    return healths


def _warm_up(cluster: Cluster) -> None:
    """Each action server loads the knowledge base, each Rasa answers a question once, before customers come."""
    ports, token = cluster.ports, cluster.stack.env["ACTIONS_TOKEN"]
    with ThreadPoolExecutor(REPLICAS) as pool:
        list(pool.map(lambda r: warm_up_actions(f"http://127.0.0.1:{ports.action_server(r)}", token=token),
                      range(REPLICAS)))
    for replica in range(REPLICAS):
        httpx.post(f"http://127.0.0.1:{ports.rasa_server(replica)}/webhooks/rest/webhook",
                   json={"sender": f"warm-up-{secrets.token_hex(8)}", "message": "How do I reset my password?"},
                   timeout=300).raise_for_status()


def start_cluster(workdir: Path, base_port: int, chroma_seed: Path | None = None, rate_limits: bool = True) -> Cluster:
    """`chroma_seed`: a Chroma folder (a published help centre) the Chroma server starts on; without one
    the sample help centre is ingested into the server, as `make run` does into its embedded Chroma."""
    if not any((REPO_ROOT / "models").glob("*.tar.gz")):
        raise RuntimeError("no trained Rasa model in models/: run `make train` first")
    workdir.mkdir(parents=True, exist_ok=True)
    if chroma_seed is not None and not (workdir / "chroma").exists():
        shutil.copytree(chroma_seed, workdir / "chroma")
    ports = Ports(base_port)
    cluster = Cluster(Stack(workdir, _environment(ports, workdir, rate_limits)), ports)
    try:
        _start_stores(cluster.stack, ports, workdir)
        if chroma_seed is None:
            subprocess.run([APP_PYTHON, "-m", "knowledge", "ingest", "--if-empty"], cwd=REPO_ROOT,
                           env=cluster.stack.env, check=True)
        for name, health in _start_services(cluster.stack, ports, workdir):
            wait_for(health, cluster.stack.processes[name], workdir / f"{name}.log", seconds=600)
        _warm_up(cluster)
    except BaseException:
        cluster.stop()
        raise
    return cluster
