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

`talk_to_redis_off_the_loop` takes the tracker store's Redis commands off the event loop: Rasa sends them
with a synchronous client from its async methods, so each round trip (three a turn) stopped every other
turn of the process; under `make bench` a sixth of the Rasa process's samples were in its socket reads.
They now go through an asyncio client to the same server, with the same options and retries; what Rasa
does between them (deserialising, merging, serialising the tracker) is unchanged. Two turns of one
conversation never save at once: the ticket lock keeps them apart (bot/runtime/ticket_lock.py, whose
Redis commands go through the same kind of client). Worker threads (`asyncio.to_thread`) were tried first:
with the loop busy, a GET's p95 was 120 ms through a thread (each hop back waits for the interpreter lock)
against 19 ms with the asyncio client, and `make bench` saturated at 19.1 question turns a second, not 21.2.
"""
from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, Optional

from rasa.core.lock_store import RedisLockStore
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker, get_trackers_for_conversation_sessions
from redis import Redis
from redis.asyncio import Redis as AsyncRedis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.connection import SSLConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from knowledge.redis_client import BACKOFF_CAP_S, CONNECT_TIMEOUT_S, RETRIES

_PATCHED = "_retries_redis_commands"
_TWINS = "_async_twins"  # store attribute: {event loop: asyncio client}


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



def _async_twin(client: Redis) -> AsyncRedis:
    """An asyncio client to the server `client` talks to, with the same options and the same retries."""
    options = client.connection_pool.connection_kwargs
    twin = AsyncRedis(
        host=options["host"], port=options["port"], db=options["db"], username=options["username"],
        password=options["password"], socket_timeout=options["socket_timeout"],
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        ssl=issubclass(client.connection_pool.connection_class, SSLConnection),
        **{key: options[key] for key in ("ssl_certfile", "ssl_keyfile", "ssl_ca_certs") if key in options})
    policy = AsyncRetry(ExponentialBackoff(cap=BACKOFF_CAP_S, base=0.1), RETRIES,
                        supported_errors=(RedisConnectionError, RedisTimeoutError))
    execute = twin.execute_command

    async def ignore(_error: Exception) -> None:
        return None

    async def execute_command(*args: Any, **options: Any) -> Any:
        return await policy.call_with_retry(lambda: execute(*args, **options), ignore)

    twin.execute_command = execute_command  # type: ignore[method-assign]
    return twin


def async_client(store: Any) -> AsyncRedis:
    """The asyncio twin of a Rasa Redis store's client (`store.red`), one per event loop: an asyncio
    client's connections belong to the loop that opened them."""
    loop = asyncio.get_running_loop()
    twins: dict[asyncio.AbstractEventLoop, AsyncRedis] = store.__dict__.setdefault(_TWINS, {})
    twin = twins.get(loop)
    if twin is None:
        twin = twins[loop] = _async_twin(store.red)
    return twin


async def _save(self: RedisTrackerStore, tracker: DialogueStateTracker, timeout: Optional[float] = None) -> None:
    """Rasa 3.6's `RedisTrackerStore.save`, its Redis commands sent without blocking the loop."""
    await self.stream_events(tracker)
    if not timeout and self.record_exp:
        timeout = self.record_exp
    key = self.key_prefix + tracker.sender_id
    red = async_client(self)
    stored = await red.get(key)
    if stored is not None:
        tracker = self._merge_trackers(self.deserialise_tracker(tracker.sender_id, stored), tracker)
    await red.set(key, self.serialise_tracker(tracker), ex=timeout)


async def _retrieve(self: RedisTrackerStore, sender_id: str, fetch_all_sessions: bool) -> Optional[DialogueStateTracker]:
    """Rasa 3.6's `RedisTrackerStore._retrieve`, its Redis command sent without blocking the loop."""
    stored = await async_client(self).get(self.key_prefix + sender_id)
    if stored is None:
        return None
    tracker = self.deserialise_tracker(sender_id, stored)
    if fetch_all_sessions or tracker is None:
        return tracker
    sessions = get_trackers_for_conversation_sessions(tracker)
    return tracker if len(sessions) <= 1 else sessions[-1]


async def _keys(self: RedisTrackerStore) -> Iterable[str]:
    return await async_client(self).keys(self.key_prefix + "*")


def talk_to_redis_off_the_loop() -> None:
    """From now on the Redis tracker store sends its commands with an asyncio client (idempotent)."""
    RedisTrackerStore.save = _save  # type: ignore[method-assign]
    RedisTrackerStore._retrieve = _retrieve  # type: ignore[method-assign]
    RedisTrackerStore.keys = _keys  # type: ignore[method-assign]
