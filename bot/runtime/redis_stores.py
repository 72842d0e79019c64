"""Rasa's Redis tracker and lock stores riding out a Redis failover or restart, as the web app's clients do.

Rasa 3.6 builds both stores' redis-py clients with no retry: while the Redis primary is replaced (a few
seconds under Sentinel), every Redis command of a turn fails at once. The turn then ends in a 500, and
worse, the lock store's clean-up fails too, so the turn's ticket stays in Redis until it expires
(TICKET_LOCK_LIFETIME): the customer's retry waits it out. The tracker store is wrapped in Rasa's
FailSafeTrackerStore, which answers a failed read with an empty in-memory tracker (a turn without
its history, saved over the real one once Redis is back).

`retry_redis_commands` makes each store's client retry a command that fails for a lost connection, with
the project's one policy (knowledge/redis_client.py: a connect timeout, backoff for longer than a failover
takes). The whole command is retried, taking a connection from the pool included: redis-py 4.6 (Rasa's)
retries only the exchange on a connection it holds, while a refused connection, or a pooled one found
closed and reopened to a proxy that has no primary yet, fails in the pool before that. Every command
these stores send (GET, SET, DEL, KEYS) gives the same result sent twice, so a retry after a lost
answer is harmless.
"""
from __future__ import annotations

from typing import Any

from rasa.core.lock_store import RedisLockStore
from rasa.core.tracker_store import RedisTrackerStore
from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from knowledge.redis_client import BACKOFF_CAP_S, CONNECT_TIMEOUT_S, RETRIES

_PATCHED = "_retries_redis_commands"


def with_retries(client: Redis) -> Redis:
    """`client`, each of its commands retried when it fails for a lost connection."""
    client.connection_pool.connection_kwargs["socket_connect_timeout"] = CONNECT_TIMEOUT_S
    policy = Retry(ExponentialBackoff(cap=BACKOFF_CAP_S, base=0.1), RETRIES,
                   supported_errors=(RedisConnectionError, RedisTimeoutError))
    execute = client.execute_command

    def execute_command(*args: Any, **options: Any) -> Any:
        return policy.call_with_retry(lambda: execute(*args, **options), lambda _error: None)

    client.execute_command = execute_command  # type: ignore[method-assign]
    return client


def retry_redis_commands() -> None:
    """From now on, every Redis lock store and tracker store Rasa builds retries (idempotent)."""
    for store in (RedisLockStore, RedisTrackerStore):
        if getattr(store.__init__, _PATCHED, False):
            continue
        original = store.__init__

        def __init__(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> None:
            _original(self, *args, **kwargs)
            with_retries(self.red)

        setattr(__init__, _PATCHED, True)
        store.__init__ = __init__  # type: ignore[method-assign]
