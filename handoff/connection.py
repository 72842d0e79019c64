"""Redis as the handoff reaches it: the client factory (one client per process, never a module
global), and the REDIS_URL split into the variables Rasa's endpoints.yml reads.

`python -m handoff.connection "$REDIS_URL"` prints those variables as shell assignments (ops/run.sh).
"""
from __future__ import annotations

import asyncio
import shlex
import sys
from urllib.parse import parse_qsl, unquote, urlparse

from redis.asyncio import Redis
from redis.asyncio.retry import Retry

from knowledge import redis_keys as keys
# Shared with the synchronous clients (knowledge/redis_client.py); named here too for the handoff's callers.
from knowledge.redis_client import BACKOFF_CAP_S, CONNECT_TIMEOUT_S, RETRIES, connection_options  # noqa: F401


def raise_if_cancelled() -> None:
    """For a loop over Redis commands: redis-py can swallow the cancellation of a command (the
    command returns, or raises its own connection error), and the loop would go on, holding up the
    process's stop (seen as a web app taking one more round of the release loop, or forever, to stop)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


def connect(url: str, single_connection: bool = False) -> Redis:
    """A client that rides out a Redis restart: commands retry with backoff for about 3.4 s.
    `single_connection`: one connection of its own, outside the shared pool (a blocking reader)."""
    return Redis.from_url(
        url,
        decode_responses=True,
        single_connection_client=single_connection,
        health_check_interval=30,
        **connection_options(Retry),
    )


async def wait_for_replicas(redis: Redis, replicas: int, timeout_ms: int) -> bool:
    """Redis WAIT: whether `replicas` replicas have acknowledged this client's writes so far (at most
    `timeout_ms` waited). True at once when none is asked for."""
    if replicas <= 0:
        return True
    # WAIT counts the writes of its own connection, and the turn's writes went over the pool's connections:
    # a PUBLISH (replicated, no key written) on WAIT's connection comes after all of them in the replication
    # stream, so waiting for it waits for them too.
    async with redis.pipeline(transaction=False) as pipe:
        pipe.publish(keys.REPLICATION_MARK, "")
        pipe.execute_command("WAIT", replicas, timeout_ms)
        _, acknowledged = await pipe.execute()
    return int(acknowledged) >= replicas


def _shown(url: str) -> str:
    """The URL as an error message may quote it: without its password."""
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    return parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@", 1)).geturl()


def rasa_redis_variables(url: str) -> dict[str, str]:
    """What Rasa 3.6's Redis tracker and lock stores take from REDIS_URL, as endpoints.yml's variables:
    host, port, database, ACL user, password, TLS (rediss://). Anything else in the URL (query options such
    as ssl_ca_certs or ssl_cert_reqs) is refused, named: Rasa would connect without it."""
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss") or not parsed.hostname:
        raise ValueError(f"REDIS_URL must look like redis://[user:password@]host:port/db or rediss://..., got {_shown(url)!r}")
    try:
        port = parsed.port or 6379
    except ValueError:
        raise ValueError(f"REDIS_URL port must be a number, got {_shown(url)!r}") from None
    db = (parsed.path or "/0").lstrip("/") or "0"
    if not db.isdigit():
        raise ValueError(f"REDIS_URL database must be a number, got {db!r}")
    options = sorted({name for name, _ in parse_qsl(parsed.query, keep_blank_values=True)})
    if options:
        raise ValueError(
            f"REDIS_URL option {', '.join(options)} cannot be passed to Rasa's Redis tracker and lock stores, which take "
            "only the user, password, host, port, database and TLS (rediss://, the server's certificate checked "
            "against the system's certificate authorities, the host name not checked): remove it from REDIS_URL")
    # Always set (empty without one): endpoints.yml reads them, and Rasa refuses an unset variable. Rasa passes
    # them on as strings: REDIS_USE_SSL is "" (false) or "true", never "false", which a string would make true.
    return {"REDIS_HOST": parsed.hostname, "REDIS_PORT": str(port), "REDIS_DB": db,
            "REDIS_USERNAME": unquote(parsed.username or ""), "REDIS_PASSWORD": unquote(parsed.password or ""),
            "REDIS_USE_SSL": "true" if parsed.scheme == "rediss" else ""}


if __name__ == "__main__":
    try:
        variables = rasa_redis_variables(sys.argv[1])
    except ValueError as error:
        print(f"echo {shlex.quote(str(error))} >&2; exit 2")
        sys.exit(0)
    print(" ".join(f"{key}={shlex.quote(value)}" for key, value in variables.items()))
