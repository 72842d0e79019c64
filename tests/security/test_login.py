"""Password guessing (issue 13, "30 wrong passwords in 15 s"): the throttling after ten failures is tested in
tests/handoff/test_agent_routes.py. Here the other two findings: bcrypt ran on the event loop (ten
logins at once stalled every other request), and an unknown username was refused without any bcrypt
check, so that its answer came 60 times faster and told which usernames exist."""
from __future__ import annotations

import threading

import bcrypt
import pytest
from redis.asyncio import Redis

from handoff.agents import save_agent
from tests.handoff.conftest import PASSWORD
from tests.security.conftest import WebApp

pytestmark = pytest.mark.anyio


async def test_every_login_checks_a_password_hash_off_the_event_loop_known_username_or_not(
        web_app: WebApp, redis_client: Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    await save_agent(redis_client, "alice", PASSWORD, "Alice", ["en"])
    checked_in: list[int] = []  # the thread of each bcrypt check
    checked_hashes: list[bytes] = []
    check = bcrypt.checkpw

    def recorded(password: bytes, hashed: bytes) -> bool:
        checked_in.append(threading.get_ident())
        checked_hashes.append(hashed)
        return check(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", recorded)
    event_loop = threading.get_ident()
    async with web_app() as web:
        for username, password, status in (("mallory", "a guess", 401), ("alice", "a guess", 401), ("alice", PASSWORD, 200)):
            response = await web.post("/api/agent/login", json={"username": username, "password": password})
            assert response.status_code == status, response.text
    assert len(checked_in) == 3 and event_loop not in checked_in
    # The unknown username was checked against a real bcrypt hash, as costly as an account's.
    assert checked_hashes[0].startswith(b"$2") and checked_hashes[0] != checked_hashes[1]
