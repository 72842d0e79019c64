"""Rasa's ticket lock on a conversation when its holder died (bot/runtime/ticket_lock.py), on a real Redis:
a turn whose ticket expired with the dead holder's takes the lock instead of waiting for ever.

Rasa's side (Python 3.10, .venv-rasa): `make test-bot`."""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.lock_store import LockStore, RedisLockStore

from bot.runtime import ticket_lock
from tests.bot.conftest import RedisServer, hold_the_lock

LIFETIME_S = 1.0  # TICKET_LOCK_LIFETIME, short for the test
PATIENCE_S = 4.0  # well past the dead holder's ticket and one poll


@pytest.fixture
def requeueing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LockStore, "lock", LockStore.lock)  # put back after the test
    ticket_lock.requeue_expired_waiters()


async def _turn_after_a_dead_holder(store: RedisLockStore) -> list[int]:
    """A Rasa took a ticket and died (no clean-up); the message resent at once takes the next ticket and
    waits. Returns the tickets in the lock while the waiter holds it."""
    store.issue_ticket("conversation", LIFETIME_S)  # the dead holder's
    await asyncio.sleep(0.05)
    async with store.lock("conversation", LIFETIME_S, wait_time_in_seconds=1) as held:
        return [t.number for t in held.tickets]


def test_rasas_own_lock_waits_for_ever_after_a_dead_holder(server: RedisServer) -> None:
    """Why the patch exists: one poll removes both expired tickets, and the waiter never sees its turn."""
    store = RedisLockStore(host="127.0.0.1", port=server.port, db=0)
    with pytest.raises(asyncio.TimeoutError):  # Python 3.10: not the builtin TimeoutError
        asyncio.run(asyncio.wait_for(_turn_after_a_dead_holder(store), PATIENCE_S))


def test_a_waiter_whose_ticket_expired_queues_again_and_takes_the_lock(server: RedisServer, requeueing: None) -> None:
    store = RedisLockStore(host="127.0.0.1", port=server.port, db=0)
    tickets = asyncio.run(asyncio.wait_for(_turn_after_a_dead_holder(store), PATIENCE_S))
    assert len(tickets) == 1  # its new ticket alone: the dead holder's and its first are gone
    assert store.get_lock("conversation") is None  # cleaned up after the turn: the next turn waits for nothing


def test_a_live_holder_is_still_waited_for(server: RedisServer, requeueing: None) -> None:
    """The patch changes nothing while the holder's ticket lives: the second turn waits for the first."""
    store = RedisLockStore(host="127.0.0.1", port=server.port, db=0)
    order: list[str] = []

    async def both() -> None:
        first = asyncio.create_task(hold_the_lock(store, order, "first", 0.5))
        await asyncio.sleep(0.05)
        await hold_the_lock(store, order, "second", 0)
        await first

    asyncio.run(both())
    assert order == ["first in", "first out", "second in", "second out"]
