"""Rasa's Redis tracker and lock stores off the event loop (bot/runtime/redis_stores.py, ticket_lock.py), on
a real Redis: while Redis takes its time over a command, the process's other coroutines keep running; what
the stores save and read is what Rasa's own stores would; a Redis restart is waited out, as with the
synchronous clients' retries.

Rasa's side (Python 3.10, .venv-rasa): `make test-bot`."""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable

import pytest
import redis
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.runtime import redis_stores, ticket_lock
from tests.bot.conftest import DOWN_S, RedisServer, hold_the_lock

REDIS_BUSY_S = 0.5  # DEBUG SLEEP: Redis answers no client for this long


@pytest.fixture
def off_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both patches, undone after the test."""
    for name in ("save", "_retrieve", "keys"):
        monkeypatch.setattr(RedisTrackerStore, name, getattr(RedisTrackerStore, name))
    monkeypatch.setattr(LockStore, "lock", LockStore.lock)
    redis_stores.talk_to_redis_off_the_loop()
    ticket_lock.requeue_expired_waiters()


class BusyRedis(threading.Thread):
    """Redis made to answer nobody for REDIS_BUSY_S (DEBUG SLEEP, from another client)."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port
        self.reply: object = None

    def run(self) -> None:
        self.reply = redis.Redis(port=self.port).execute_command("DEBUG", "SLEEP", REDIS_BUSY_S)


async def _ticks_while(command: Callable[[], Awaitable[object]], port: int) -> int:
    """How many times another coroutine of the loop ran (every 10 ms) while `command` waited on a busy Redis."""
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            await asyncio.sleep(0.01)
            ticks += 1

    busy = BusyRedis(port)
    busy.start()
    await asyncio.sleep(0.05)  # DEBUG SLEEP has reached Redis
    running = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    ticks = 0
    await command()
    done.set()
    await running
    busy.join()
    assert busy.reply is not None, "Redis was not made busy"
    return ticks


def _tracker(sender_id: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender_id, [
        ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
        UserUttered("hello", {"name": "greet", "confidence": 1.0}), BotUttered("hi there"),
        ActionExecuted("action_listen")])


def test_rasas_own_tracker_store_stops_the_loop_while_redis_is_busy(server: RedisServer) -> None:
    """Why the patch exists: the loop runs nothing else during the save."""
    store = RedisTrackerStore(Domain.empty(), host="127.0.0.1", port=server.port, db=0)
    assert asyncio.run(_ticks_while(lambda: store.save(_tracker("c1")), server.port)) <= 1


def test_a_save_and_a_read_leave_the_loop_running(server: RedisServer, off_the_loop: None) -> None:
    store = RedisTrackerStore(Domain.empty(), host="127.0.0.1", port=server.port, db=0)
    assert asyncio.run(_ticks_while(lambda: store.save(_tracker("c1")), server.port)) >= 10
    assert asyncio.run(_ticks_while(lambda: store.retrieve("c1"), server.port)) >= 10


def test_a_lock_taken_and_released_leaves_the_loop_running(server: RedisServer, off_the_loop: None) -> None:
    store = RedisLockStore(host="127.0.0.1", port=server.port, db=0)

    async def turn() -> None:
        async with store.lock("c1", 10, wait_time_in_seconds=0.05):
            pass

    assert asyncio.run(_ticks_while(turn, server.port)) >= 10
    assert store.get_lock("c1") is None


def test_the_tracker_saved_and_read_is_rasas(server: RedisServer, off_the_loop: None) -> None:
    """Saved twice (the second save merges with the stored tracker, as Rasa's does), then read back: the
    events are the tracker's, once each; a second session reads as the latest session only, as in Rasa."""
    store = RedisTrackerStore(Domain.empty(), host="127.0.0.1", port=server.port, db=0)
    tracker = _tracker("c1")
    asyncio.run(store.save(tracker))
    tracker.update(UserUttered("thanks", {"name": "thank", "confidence": 1.0}))
    asyncio.run(store.save(tracker))
    read = asyncio.run(store.retrieve_full_tracker("c1"))
    assert read is not None and [e.as_dict() for e in read.events] == [e.as_dict() for e in tracker.events]
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(UserUttered("again", {"name": "greet", "confidence": 1.0}))
    asyncio.run(store.save(tracker))
    latest = asyncio.run(store.retrieve("c1"))
    assert latest is not None and latest.latest_message.text == "again"
    assert "hello" not in [e.text for e in latest.events if isinstance(e, UserUttered)]
    assert asyncio.run(store.retrieve("nobody")) is None
    assert [str(key, "utf-8") if isinstance(key, bytes) else key for key in asyncio.run(store.keys())] \
        == [store.key_prefix + "c1"]


@pytest.mark.parametrize("kind", ["redis", "in memory"])
def test_turns_of_one_conversation_still_take_turns(server: RedisServer, off_the_loop: None, kind: str) -> None:
    """The lock's read-modify-writes now await: turns of one conversation still take the lock one at a time,
    in Redis and in Rasa's in-memory lock store (`rasa test`, `rasa shell`)."""
    store: LockStore = RedisLockStore(host="127.0.0.1", port=server.port, db=0) if kind == "redis" else InMemoryLockStore()
    order: list[str] = []

    async def many() -> None:
        await asyncio.gather(*(hold_the_lock(store, order, f"t{i}", 0.05, poll_s=0.05) for i in range(5)))

    asyncio.run(many())
    assert len(order) == 10 and all(order[i].endswith(" in") and order[i + 1] == order[i].replace(" in", " out")
                                    for i in range(0, len(order), 2)), order
    assert store.get_lock("conversation") is None


def test_a_turn_waits_for_a_restarting_redis(server: RedisServer, off_the_loop: None) -> None:
    tracker_store = RedisTrackerStore(Domain.empty(), host="127.0.0.1", port=server.port, db=0)
    lock_store = RedisLockStore(host="127.0.0.1", port=server.port, db=0)

    async def turn() -> str | None:
        async with lock_store.lock("c1", 10, wait_time_in_seconds=0.05):
            await tracker_store.save(_tracker("c1"))
            restarting = server.crash_and_restart_in_background()
            read = await tracker_store.retrieve("c1")
        await asyncio.to_thread(restarting.join)
        return read.latest_message.text if read is not None else None

    started = time.monotonic()
    assert asyncio.run(turn()) == "hello"  # appendfsync always: the tracker saved before the crash is back
    assert time.monotonic() - started >= DOWN_S
    assert lock_store.get_lock("c1") is None  # released once Redis was back
