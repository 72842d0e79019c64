"""Rasa's Redis lock and tracker stores across a Redis restart (bot/runtime/redis_stores.py): with the
retries, a command sent while Redis is down waits for it and succeeds; Rasa's own stores fail at once.

Rasa's side (Python 3.10, .venv-rasa): `make test-bot`. A real redis-server, restarted on its port."""
from __future__ import annotations

import asyncio
import time

import pytest
import redis
from rasa.core.lock_store import RedisLockStore
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.runtime import redis_stores
from tests.bot.conftest import DOWN_S, RedisServer


@pytest.fixture
def retrying(monkeypatch: pytest.MonkeyPatch) -> None:
    """The patch, undone after the test (monkeypatch puts the stores' own __init__ back)."""
    for store in (RedisLockStore, RedisTrackerStore):
        monkeypatch.setattr(store, "__init__", store.__init__)
    redis_stores.retry_redis_commands()


def test_rasas_own_lock_store_fails_while_redis_restarts(server: RedisServer) -> None:
    """Why the retries exist: without them, the first command after the crash fails."""
    store = RedisLockStore(host="127.0.0.1", port=server.port, db=0)
    store.issue_ticket("conversation")
    restarting = server.crash_and_restart_in_background()
    try:
        with pytest.raises(redis.ConnectionError):
            store.get_lock("conversation")
    finally:
        restarting.join()


def test_the_lock_store_waits_for_redis_and_finds_its_ticket(server: RedisServer, retrying: None) -> None:
    store = RedisLockStore(host="127.0.0.1", port=server.port, db=0)
    ticket = store.issue_ticket("conversation")
    restarting = server.crash_and_restart_in_background()
    started = time.monotonic()
    lock = store.get_lock("conversation")
    restarting.join()
    assert lock is not None and lock.last_issued == ticket
    assert time.monotonic() - started >= DOWN_S  # it did wait for the restart
    store.cleanup("conversation", ticket)
    assert store.get_lock("conversation") is None


def test_the_tracker_store_waits_for_redis_and_reads_the_tracker(server: RedisServer, retrying: None) -> None:
    store = RedisTrackerStore(Domain.empty(), host="127.0.0.1", port=server.port, db=0)
    tracker = DialogueStateTracker.from_events("conversation", [UserUttered("hello")])
    asyncio.run(store.save(tracker))
    restarting = server.crash_and_restart_in_background()
    retrieved = asyncio.run(store.retrieve("conversation"))
    restarting.join()
    assert retrieved is not None and retrieved.latest_message.text == "hello"


def test_patching_twice_wraps_once(retrying: None) -> None:
    wrapped = RedisLockStore.__init__
    redis_stores.retry_redis_commands()
    assert RedisLockStore.__init__ is wrapped
