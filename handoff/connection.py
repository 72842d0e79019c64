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
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


# A command retries this often, 0.2 + 0.4 + 0.8 + 1 s apart: about 2.4 s in all, longer than Redis takes
# to restart on its append-only file, and short enough that a customer hears "retry" (503) within
# the 5 s the widget promises while Redis stays down (12 retries capped at 2 s made that 19 s).
RETRIES = 4
BACKOFF_CAP_S = 1.0
# Each attempt's wait for a connection: a Redis on the network connects in milliseconds, and 2 s leaves
# room for one lost SYN (resent after 1 s). An unreachable host then fails after about 5 x 2 + 2.4 s
# instead of waiting out redis-py's default at each attempt (5 s in redis-py 8.1; none in older ones,
# Rasa's 4.6 among them, which leaves it to the OS: about 2 minutes).
CONNECT_TIMEOUT_S = 2.0


def connect(url: str, single_connection: bool = False) -> Redis:
    """A client that rides out a Redis restart: commands retry with backoff for about 2.4 s.
    `single_connection`: one connection of its own, outside the shared pool (a blocking reader)."""
    return Redis.from_url(
        url,
        decode_responses=True,
        single_connection_client=single_connection,
        health_check_interval=30,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        retry=Retry(ExponentialBackoff(cap=BACKOFF_CAP_S, base=0.1), retries=RETRIES),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
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
