"""Rasa's per-conversation ticket lock, without the wait that never ends when the lock's holder has died.

Rasa 3.6 (rasa/core/lock_store.py) waits for its ticket's turn by polling once a second, and removes
expired tickets as it polls. When the holder died (a Rasa killed mid-turn), its ticket expires after
TICKET_LOCK_LIFETIME; a ticket issued soon after it (the same message resent at once to the other
Rasa, by the proxy or the web app) expires less than a poll later, and one poll can remove both. The
waiter's own ticket is then gone: Rasa compares it with "now serving" (0 for an empty queue) for ever,
until a later turn of that conversation deletes the lock, and then fails with LockError (seen as a
customer message held 30 s, in `make failover`). Here a waiter whose ticket has expired, or whose lock
has gone, takes a new ticket at the end of the queue and waits on; everything else is Rasa's.

The lock's Redis commands go through an asyncio client (bot/runtime/redis_stores.py): Rasa's synchronous
ones (seven a turn) stopped every other turn of the process for each round trip. Clean-up reads the lock
once where Rasa read it twice (four a turn now).
"""
from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from weakref import WeakValueDictionary

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockStore, RedisLockStore

from bot.runtime.redis_stores import async_client

logger = logging.getLogger(__name__)


def _holds(lock: TicketLock | None, ticket: int) -> bool:
    """Whether `ticket` is still in the queue (unexpired)."""
    return lock is not None and any(t.number == ticket and not t.has_expired() for t in lock.tickets)


@dataclass(frozen=True)
class _LockRecords:
    """Where a store keeps its ticket locks, read and written without blocking the event loop."""

    get: Callable[[str], Awaitable[TicketLock | None]]
    save: Callable[[TicketLock], Awaitable[None]]
    delete: Callable[[str], Awaitable[None]]


def _records(store: LockStore) -> _LockRecords:
    if isinstance(store, RedisLockStore):
        red = async_client(store)

        async def get(conversation_id: str) -> TicketLock | None:
            serialised = await red.get(store.key_prefix + conversation_id)
            return TicketLock.from_dict(json.loads(serialised)) if serialised else None

        async def save(lock: TicketLock) -> None:
            await red.set(store.key_prefix + lock.conversation_id, lock.dumps())

        async def delete(conversation_id: str) -> None:
            await red.delete(store.key_prefix + conversation_id)

        return _LockRecords(get, save, delete)

    async def get_in_memory(conversation_id: str) -> TicketLock | None:
        return store.get_lock(conversation_id)

    async def save_in_memory(lock: TicketLock) -> None:
        store.save_lock(lock)

    async def delete_in_memory(conversation_id: str) -> None:
        store.delete_lock(conversation_id)

    return _LockRecords(get_in_memory, save_in_memory, delete_in_memory)


_mutexes: WeakValueDictionary[tuple[asyncio.AbstractEventLoop, str], asyncio.Lock] = WeakValueDictionary()


def _mutex(conversation_id: str) -> asyncio.Lock:
    """Keeps a conversation's lock read-modify-writes in this process apart, now that they await: before,
    each ran whole on the loop, between two awaits."""
    key = (asyncio.get_running_loop(), conversation_id)
    mutex = _mutexes.get(key)
    if mutex is None:
        mutex = _mutexes[key] = asyncio.Lock()
    return mutex


async def _take_ticket(records: _LockRecords, conversation_id: str, lifetime: float) -> tuple[int, TicketLock]:
    lock = await records.get(conversation_id) or TicketLock(conversation_id)
    ticket = lock.issue_ticket(lifetime)
    await records.save(lock)
    return ticket, lock


async def _queue_position(records: _LockRecords, conversation_id: str, ticket: int,
                          lifetime: float) -> tuple[int, TicketLock]:
    """Expired tickets removed (Rasa's `update_lock`); the waiter's own ticket, or a new one at the end of
    the queue if its own expired while it waited."""
    lock = await records.get(conversation_id)
    if lock is not None:
        lock.remove_expired_tickets()
        await records.save(lock)
    if lock is not None and _holds(lock, ticket):
        return ticket, lock
    logger.debug("ticket %s of %s expired while waiting: queueing again", ticket, conversation_id)
    return await _take_ticket(records, conversation_id, lifetime)


async def _release(records: _LockRecords, conversation_id: str, ticket: int) -> None:
    """Rasa's `cleanup`: the ticket removed, and the lock with it when nobody else waits."""
    async with _mutex(conversation_id):
        lock = await records.get(conversation_id)
        if lock is None:
            return
        lock.remove_ticket_for(ticket)
        if lock.is_someone_waiting():
            await records.save(lock)
        else:
            await records.delete(conversation_id)


@asynccontextmanager
async def lock(self: LockStore, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
               wait_time_in_seconds: float = 1) -> AsyncIterator[TicketLock]:
    records = _records(self)
    async with _mutex(conversation_id):
        ticket, current = await _take_ticket(records, conversation_id, lock_lifetime)
    try:
        while current.is_locked(ticket):
            await asyncio.sleep(wait_time_in_seconds)
            async with _mutex(conversation_id):
                ticket, current = await _queue_position(records, conversation_id, ticket, lock_lifetime)
        yield current
    finally:
        await asyncio.shield(_release(records, conversation_id, ticket))  # even when the turn is cancelled


def requeue_expired_waiters() -> None:
    """Every lock store Rasa builds from now on waits as above (idempotent)."""
    LockStore.lock = lock  # type: ignore[method-assign,assignment]

