"""Where each process of the simulated cluster listens, and the configuration files that say so:
HAProxy's, the three Sentinels', and Rasa's endpoints.yml. Every port is `base` plus a fixed
offset, so that `make run-cluster` (base 9000) and the failover test (base 9050) can run side by side."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).parent
REPLICAS = 2  # web apps, Rasa servers, action servers
SENTINELS = 3
SENTINEL_GROUP = "primary"  # the name the Sentinels know the Redis primary by (sentinel.conf.tmpl)
# The Sentinels call the primary down after this long without an answer, then promote the replica.
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 5000
# Rasa's ticket lock on a conversation outlives a Rasa killed mid-turn by this long (Rasa's default is
# 60 s, during which the other Rasa would wait on that conversation). A turn takes well under a second.
RASA_LOCK_LIFETIME_S = 6


# What clients use, HAProxy's frontends, at base + their place in this list.
FRONTENDS = ("web", "rasa", "actions", "redis", "stats", "chroma")


@dataclass(frozen=True)
class Ports:
    base: int
    web: int = field(init=False)
    rasa: int = field(init=False)
    actions: int = field(init=False)
    redis: int = field(init=False)
    stats: int = field(init=False)
    chroma: int = field(init=False)

    def __post_init__(self) -> None:
        for offset, frontend in enumerate(FRONTENDS):
            object.__setattr__(self, frontend, self.base + offset)  # frozen: set once, here

    # The processes behind them.
    def web_app(self, replica: int) -> int:
        return self.base + 10 + replica

    def rasa_server(self, replica: int) -> int:
        return self.base + 20 + replica

    def action_server(self, replica: int) -> int:
        return self.base + 30 + replica

    def redis_server(self, replica: int) -> int:
        """0: the primary at the start, 1: its replica."""
        return self.base + 40 + replica

    def sentinel(self, number: int) -> int:
        return self.base + 44 + number


def _servers(name: str, ports: list[int], unchecked_backups: bool = True) -> str:
    """The checked servers; then, for HTTP, the same servers again as backups that are never checked: when
    every check fails (a lone replica too busy to answer one in time) requests still go to them, where
    HAProxy would answer 503 to all. A backup that is really down refuses the connection: redispatched."""
    lines = [f"    server {name}{number} 127.0.0.1:{port} check" for number, port in enumerate(ports, start=1)]
    if unchecked_backups:
        lines += [f"    server {name}{number}-unchecked 127.0.0.1:{port} backup"
                  for number, port in enumerate(ports, start=1)]
    return "\n".join(lines)


def haproxy_config(ports: Ports) -> str:
    replicas = range(REPLICAS)
    return Template((TEMPLATES / "haproxy.cfg.tmpl").read_text()).substitute(
        web_port=ports.web, rasa_port=ports.rasa, actions_port=ports.actions, redis_port=ports.redis,
        stats_port=ports.stats,
        web_servers=_servers("web", [ports.web_app(r) for r in replicas]),
        rasa_servers=_servers("rasa", [ports.rasa_server(r) for r in replicas]),
        action_servers=_servers("actions", [ports.action_server(r) for r in replicas]),
        redis_servers=_servers("redis", [ports.redis_server(r) for r in replicas], unchecked_backups=False),
    )


def sentinel_config(ports: Ports, number: int, folder: Path) -> str:
    return Template((TEMPLATES / "sentinel.conf.tmpl").read_text()).substitute(
        port=ports.sentinel(number), dir=folder, primary_port=ports.redis_server(0),
        down_after_ms=DOWN_AFTER_MS, failover_timeout_ms=FAILOVER_TIMEOUT_MS)


def rasa_endpoints(ports: Ports, actions_token: str, tracker_retention_s: int) -> str:
    """Rasa's endpoints.yml: its actions through HAProxy (an action server that dies is routed around,
    which Rasa pointed at one action server could not do), Redis through HAProxy (the current primary)."""
    redis = f"  type: redis\n  url: 127.0.0.1\n  port: {ports.redis}\n  db: 0\n  key_prefix: rasa\n"
    return (f'action_endpoint:\n  url: "http://127.0.0.1:{ports.actions}/webhook"\n  token: "{actions_token}"\n'
            f"lock_store:\n{redis}"
            f"tracker_store:\n{redis}  record_exp: {tracker_retention_s}\n")
