"""Redis as the handoff reaches it: the client factory (one client per process, never a module
global), and the REDIS_URL split into the variables Rasa's endpoints.yml reads.

`python -m handoff.connection "$REDIS_URL"` prints those variables as shell assignments (ops/run.sh).
"""
from __future__ import annotations

import shlex
import sys
from urllib.parse import unquote, urlparse

from redis.asyncio import Redis
from redis.asyncio.retry import Retry

# Shared with the synchronous clients (knowledge/redis_client.py); named here too for the handoff's callers.
from knowledge.redis_client import BACKOFF_CAP_S, CONNECT_TIMEOUT_S, RETRIES, connection_options  # noqa: F401


def connect(url: str, single_connection: bool = False) -> Redis:
    """A client that rides out a Redis restart: commands retry with backoff for about 2.4 s.
    `single_connection`: one connection of its own, outside the shared pool (a blocking reader)."""
    return Redis.from_url(
        url,
        decode_responses=True,
        single_connection_client=single_connection,
        health_check_interval=30,
        **connection_options(Retry),
    )


def rasa_redis_variables(url: str) -> dict[str, str]:
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss") or not parsed.hostname:
        raise ValueError(f"REDIS_URL must look like redis://host:port/db, got {url!r}")
    db = (parsed.path or "/0").lstrip("/") or "0"
    if not db.isdigit():
        raise ValueError(f"REDIS_URL database must be a number, got {db!r}")
    # Always set (empty without one): endpoints.yml reads it, and Rasa refuses an unset variable.
    password = unquote(parsed.password or "")
    return {"REDIS_HOST": parsed.hostname, "REDIS_PORT": str(parsed.port or 6379), "REDIS_DB": db, "REDIS_PASSWORD": password}


if __name__ == "__main__":
    try:
        variables = rasa_redis_variables(sys.argv[1])
    except ValueError as error:
        print(f"echo {shlex.quote(str(error))} >&2; exit 2")
        sys.exit(0)
    print(" ".join(f"{key}={shlex.quote(value)}" for key, value in variables.items()))
