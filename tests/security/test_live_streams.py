"""Issue 13, row "100 customer live streams": open widgets do not each hold a Redis connection, so
more of them than the Redis pool holds leave the other customers served; one client cannot open
streams without bound; each stream gets its own conversation's messages, and a resumed stream
exactly what it missed. Against the web app over real HTTP and a real Redis."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from httpx_sse import ServerSentEvent, aconnect_sse
from redis.asyncio import Redis

from handoff.connection import connect
from handoff.web.stream_hub import SlowSubscriber, StreamHub
from tests.security.conftest import ServedWeb

pytestmark = pytest.mark.anyio

MORE_THAN_THE_REDIS_POOL = 150  # redis-py's pool holds 100 connections
EVENT_TIMEOUT_S = 10


class LiveStream:
    """A customer's live stream read in the background, as the widget's EventSource reads it."""

    def __init__(self, http: httpx.AsyncClient, conversation_id: str, last_event_id: str | None = None) -> None:
        self.status_code: int | None = None
        self.headers: httpx.Headers | None = None
        self.events: asyncio.Queue[ServerSentEvent] = asyncio.Queue()
        self.messages: list[dict[str, Any]] = []
        self._opened = asyncio.Event()
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        self._task = asyncio.create_task(self._read(http, f"/api/conversations/{conversation_id}/events", headers))

    async def _read(self, http: httpx.AsyncClient, path: str, headers: dict[str, str]) -> None:
        try:
            async with aconnect_sse(http, "GET", path, headers=headers, timeout=httpx.Timeout(30, read=None)) as source:
                self.status_code, self.headers = source.response.status_code, source.response.headers
                self._opened.set()
                if self.status_code != 200:
                    return
                async for event in source.aiter_sse():
                    if event.event == "message":
                        self.messages.append(event.json())
                    await self.events.put(event)
        finally:
            self._opened.set()

    async def opened(self) -> int | None:
        await asyncio.wait_for(self._opened.wait(), EVENT_TIMEOUT_S)
        return self.status_code

    async def next(self, kind: str) -> dict[str, Any]:
        while True:
            event = await asyncio.wait_for(self.events.get(), EVENT_TIMEOUT_S)
            if event.event == kind:
                return event.json()

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


@asynccontextmanager
async def customer_http(url: str) -> AsyncIterator[httpx.AsyncClient]:
    # httpx allows 100 connections by default: fewer than the streams opened here.
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=20)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:
        yield http


async def new_conversation(http: httpx.AsyncClient) -> str:
    response = await http.post("/api/conversations")
    assert response.status_code == 201, response.text
    return str(response.json()["conversation_id"])


async def open_live(http: httpx.AsyncClient, conversation_id: str, last_event_id: str | None = None) -> LiveStream:
    stream = LiveStream(http, conversation_id, last_event_id)
    await stream.opened()
    return stream


async def many_live_customers(http: httpx.AsyncClient, count: int) -> tuple[list[str], list[LiveStream]]:
    """`count` customers with their live stream open, each stream past its first event (so reading live)."""
    conversations = [await new_conversation(http) for _ in range(count)]
    streams = list(await asyncio.gather(*(open_live(http, c) for c in conversations)))
    assert [s.status_code for s in streams] == [200] * count
    await asyncio.gather(*(s.next("status") for s in streams))
    return conversations, streams


async def test_more_open_live_streams_than_the_redis_pool_leave_new_customers_served(served_web: ServedWeb) -> None:
    async with served_web(live_streams_per_address=1000) as url, customer_http(url) as http:
        _, streams = await many_live_customers(http, MORE_THAN_THE_REDIS_POOL)
        await asyncio.sleep(1)  # every stream waiting for news
        newcomer = await new_conversation(http)
        turn = await http.post(f"/api/conversations/{newcomer}/messages", json={"text": "How do I reset my password?"})
        assert turn.status_code == 200, turn.text
        assert turn.json()["replies"][0]["outcome"] == "answer"
        assert (await http.get("/healthz")).json()["redis"] == "up"
        await asyncio.gather(*(s.close() for s in streams))


async def test_live_streams_are_capped_per_conversation_and_per_client_address(served_web: ServedWeb) -> None:
    async with served_web(live_streams_per_conversation=5, live_streams_per_address=7) as url, customer_http(url) as http:
        first, second = await new_conversation(http), await new_conversation(http)
        on_first = [await open_live(http, first) for _ in range(5)]
        assert [s.status_code for s in on_first] == [200] * 5
        sixth = await open_live(http, first)
        assert sixth.status_code == 429 and int(sixth.headers["retry-after"]) > 0
        on_second = [await open_live(http, second) for _ in range(2)]
        assert [s.status_code for s in on_second] == [200, 200]
        eighth_from_this_address = await open_live(http, second)
        assert eighth_from_this_address.status_code == 429
        await on_first[0].close()
        for _ in range(50):  # the server notices the closed stream
            again = await open_live(http, second)
            if again.status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert again.status_code == 200
        await asyncio.gather(*(s.close() for s in [*on_first, *on_second, again]))


async def test_a_message_reaches_its_own_stream_only_and_a_resumed_stream_gets_exactly_what_it_missed(
        served_web: ServedWeb) -> None:
    async with served_web(live_streams_per_address=1000) as url, customer_http(url) as http:
        conversations, streams = await many_live_customers(http, MORE_THAN_THE_REDIS_POOL)
        target, watched = conversations[70], streams[70]
        turn = (await http.post(f"/api/conversations/{target}/messages", json={"text": "How do I reset my password?"})).json()
        assert (await watched.next("message"))["id"] == turn["message_id"]
        assert (await watched.next("message"))["kind"] == "bot"
        await asyncio.sleep(0.5)
        assert [i for i, s in enumerate(streams) if s.messages] == [70]

        seen = watched.messages[-1]["id"]
        await watched.close()
        for text in ("first while away", "second while away"):
            assert (await http.post(f"/api/conversations/{target}/messages", json={"text": text})).status_code == 200
        missed = (await http.get(f"/api/conversations/{target}/messages", params={"after": seen})).json()
        assert len(missed) == 4  # two customer messages, a bot answer to each
        resumed = await open_live(http, target, last_event_id=seen)
        assert [(await resumed.next("message"))["id"] for _ in missed] == [m["id"] for m in missed]
        live = (await http.post(f"/api/conversations/{target}/messages", json={"text": "back again"})).json()
        assert (await resumed.next("message"))["id"] == live["message_id"]
        assert [m["id"] for m in resumed.messages[:len(missed) + 1]] == [m["id"] for m in missed] + [live["message_id"]]
        await asyncio.gather(*(s.close() for s in [*streams, resumed]))


async def test_a_stream_that_stops_reading_is_dropped_instead_of_buffered(redis_client: Redis, redis_url: str) -> None:
    hub = StreamHub(redis_client, connect(redis_url, single_connection=True), backlog=2)
    hub.start()
    try:
        async with hub.subscription() as idle, hub.subscription() as reading:
            await idle.watch("chat", "0")
            await reading.watch("chat", "0")
            for n in range(5):
                added = await redis_client.xadd("chat", {"n": n})
                assert await reading.next(EVENT_TIMEOUT_S) == ("chat", [(added, {"n": str(n)})])
            with pytest.raises(SlowSubscriber):
                await idle.next(1)
            added = await redis_client.xadd("chat", {"n": 5})
            assert await reading.next(EVENT_TIMEOUT_S) == ("chat", [(added, {"n": "5"})])
    finally:
        await hub.stop()
