"""Rate limits (issue 13, "rate limits"): one client may not flood a conversation with messages, ratings
or typing signals, or open conversations by the hundred. Beyond a limit: 429 with Retry-After and a
detail, and nothing stored; the counts live in Redis, so two web app replicas share them."""
from __future__ import annotations

import asyncio

import httpx
import pytest
from redis.asyncio import Redis

from knowledge import redis_keys as keys
from tests.security.conftest import WebApp

pytestmark = pytest.mark.anyio

TEXT = {"text": "How do I reset my password?", "lang": "en"}


async def _start(web: httpx.AsyncClient, **headers: str) -> httpx.Response:
    return await web.post("/api/conversations", headers=headers)


async def _customer_texts(web: httpx.AsyncClient, conversation_id: str) -> list[str]:
    messages = (await web.get(f"/api/conversations/{conversation_id}/messages")).json()
    return [message["text"] for message in messages if message["kind"] == "customer"]


def _assert_limited(response: httpx.Response, window_s: int) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["retry-after"]) <= window_s
    assert "too many" in response.json()["detail"]


async def test_messages_beyond_the_limit_of_a_conversation_are_refused_and_not_stored(web_app: WebApp) -> None:
    async with web_app(messages_per_conversation=3, messages_per_address=0, messages_window_s=60) as web:
        conversation_id = (await _start(web)).json()["conversation_id"]
        for n in range(3):
            sent = await web.post(f"/api/conversations/{conversation_id}/messages", json={**TEXT, "text": f"question {n}"})
            assert sent.status_code == 200, sent.text
        refused = await web.post(f"/api/conversations/{conversation_id}/messages", json={**TEXT, "text": "one too many"})
        _assert_limited(refused, 60)
        assert await _customer_texts(web, conversation_id) == ["question 0", "question 1", "question 2"]
        # Another conversation has its own count.
        other = (await _start(web)).json()["conversation_id"]
        assert (await web.post(f"/api/conversations/{other}/messages", json=TEXT)).status_code == 200


async def test_the_limit_per_client_address_spans_conversations_and_replicas(web_app: WebApp) -> None:
    limits = {"messages_per_conversation": 0, "messages_per_address": 4, "messages_window_s": 60}
    async with web_app(**limits) as replica_a, web_app(**limits) as replica_b, \
            web_app(client="203.0.113.9", **limits) as elsewhere:
        first, second = [(await _start(replica_a)).json()["conversation_id"] for _ in range(2)]
        for web, conversation_id in ((replica_a, first), (replica_a, first), (replica_b, second), (replica_b, second)):
            assert (await web.post(f"/api/conversations/{conversation_id}/messages", json=TEXT)).status_code == 200
        _assert_limited(await replica_a.post(f"/api/conversations/{first}/messages", json=TEXT), 60)
        _assert_limited(await replica_b.post(f"/api/conversations/{second}/messages", json=TEXT), 60)
        assert len(await _customer_texts(replica_b, second)) == 2
        # Someone at another address writes on.
        theirs = (await _start(elsewhere)).json()["conversation_id"]
        assert (await elsewhere.post(f"/api/conversations/{theirs}/messages", json=TEXT)).status_code == 200


async def test_new_conversations_beyond_the_limit_of_an_address_are_refused(web_app: WebApp) -> None:
    async with web_app(conversations_per_address=3, conversations_window_s=600) as web, \
            web_app(client="203.0.113.9", conversations_per_address=3) as elsewhere:
        for _ in range(3):
            assert (await _start(web)).status_code == 201
        _assert_limited(await _start(web), 600)
        assert (await _start(elsewhere)).status_code == 201


async def test_a_limit_lifts_when_its_window_ends(web_app: WebApp) -> None:
    async with web_app(conversations_per_address=1, conversations_window_s=1) as web:
        assert (await _start(web)).status_code == 201
        _assert_limited(await _start(web), 1)
        await asyncio.sleep(1.2)
        assert (await _start(web)).status_code == 201


async def test_x_forwarded_for_counts_only_when_a_trusted_proxy_sends_it(web_app: WebApp) -> None:
    async with web_app(conversations_per_address=1) as direct:
        assert (await _start(direct, **{"X-Forwarded-For": "198.51.100.1"})).status_code == 201
        # Anyone may write the header: from an untrusted peer it changes nothing.
        _assert_limited(await _start(direct, **{"X-Forwarded-For": "198.51.100.2"}), 600)
    async with web_app(conversations_per_address=1, trusted_proxies=["10.0.0.5"], client="10.0.0.5") as proxied:
        for customer in ("198.51.100.1", "198.51.100.2"):
            assert (await _start(proxied, **{"X-Forwarded-For": f"{customer}, 10.0.0.5"})).status_code == 201
        _assert_limited(await _start(proxied, **{"X-Forwarded-For": "198.51.100.2"}), 600)


async def _rate(web: httpx.AsyncClient, conversation_id: str, answer_id: str) -> httpx.Response:
    return await web.post(f"/api/conversations/{conversation_id}/feedback", json={"message_id": answer_id, "helpful": True})


async def test_ratings_count_as_messages(web_app: WebApp) -> None:
    async with web_app(messages_per_conversation=3, messages_per_address=0, messages_window_s=60) as web:
        conversation_id = (await _start(web)).json()["conversation_id"]
        turn = await web.post(f"/api/conversations/{conversation_id}/messages", json=TEXT)
        answer_id = next(m["id"] for m in turn.json()["messages"] if m["kind"] == "bot")
        for _ in range(2):
            assert (await _rate(web, conversation_id, answer_id)).status_code == 200
        _assert_limited(await _rate(web, conversation_id, answer_id), 60)
        _assert_limited(await web.post(f"/api/conversations/{conversation_id}/messages", json=TEXT), 60)
        kinds = [m["kind"] for m in (await web.get(f"/api/conversations/{conversation_id}/messages")).json()]
        assert kinds.count("feedback") == 2


async def test_typing_signals_beyond_the_limits_are_refused_and_not_stored(web_app: WebApp, redis_client: Redis) -> None:
    limits = {"typing_per_conversation": 3, "typing_per_address": 5, "typing_window_s": 60}
    async with web_app(**limits) as web, web_app(client="203.0.113.9", **limits) as elsewhere:
        first, second = [(await _start(web)).json()["conversation_id"] for _ in range(2)]
        for _ in range(3):
            assert (await web.post(f"/api/conversations/{first}/typing")).status_code == 204
        _assert_limited(await web.post(f"/api/conversations/{first}/typing"), 60)
        assert await redis_client.xlen(keys.typing(first)) == 3
        # The address's limit spans its conversations.
        for _ in range(2):
            assert (await web.post(f"/api/conversations/{second}/typing")).status_code == 204
        _assert_limited(await web.post(f"/api/conversations/{second}/typing"), 60)
        # Someone at another address types on, in a conversation of their own.
        theirs = (await _start(elsewhere)).json()["conversation_id"]
        assert (await elsewhere.post(f"/api/conversations/{theirs}/typing")).status_code == 204


async def test_typing_limits_set_to_zero_are_off(web_app: WebApp) -> None:
    async with web_app(typing_per_conversation=0, typing_per_address=0) as web:
        conversation_id = (await _start(web)).json()["conversation_id"]
        for _ in range(40):
            assert (await web.post(f"/api/conversations/{conversation_id}/typing")).status_code == 204
