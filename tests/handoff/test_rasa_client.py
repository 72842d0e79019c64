"""The web app's client of Rasa (handoff/rasa_client.py) against a real HTTP server that can drop a request:
a customer's message cut before any answer is sent once more, and only once; a timeout is not sent again."""
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from handoff.rasa_client import RasaClient, RasaUnavailable

pytestmark = pytest.mark.anyio

REPLY = [{"recipient_id": "c1", "text": "Hello!"}]


@dataclass
class DroppingServer:
    """Answers REPLY to each request, except the first `drop` requests: their connection is closed unanswered,
    as a Rasa killed mid-turn (or the proxy in front of it) would. `stall_s`: the answer comes this late."""
    drop: int = 0
    stall_s: float = 0.0
    received: list[dict[str, object]] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
        self.received.append(json.loads(await reader.readexactly(length)))
        if len(self.received) <= self.drop:
            writer.close()
            return
        await asyncio.sleep(self.stall_s)
        body = json.dumps(REPLY).encode()
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()


@pytest.fixture
async def served() -> AsyncIterator[DroppingServer]:
    server = DroppingServer()
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    server.port = listening.sockets[0].getsockname()[1]
    async with listening:
        yield server


def _client(http: httpx.AsyncClient, server: DroppingServer) -> RasaClient:
    return RasaClient(http, f"http://127.0.0.1:{server.port}", token="t")


async def test_a_message_cut_before_any_answer_is_sent_once_more_and_answered(served: DroppingServer) -> None:
    served.drop = 1
    async with httpx.AsyncClient() as http:
        assert await _client(http, served).send_message("c1", "hello", {"lang": "en"}) == REPLY
    assert [r["message"] for r in served.received] == ["hello", "hello"]


async def test_a_message_cut_twice_is_the_assistant_unavailable(served: DroppingServer) -> None:
    served.drop = 2
    async with httpx.AsyncClient() as http:
        with pytest.raises(RasaUnavailable, match="RemoteProtocolError"):
            await _client(http, served).send_message("c1", "hello", {"lang": "en"})
    assert len(served.received) == 2


async def test_a_timeout_is_not_sent_again(served: DroppingServer) -> None:
    served.stall_s = 1.0
    async with httpx.AsyncClient(timeout=0.2) as http:
        with pytest.raises(RasaUnavailable, match="ReadTimeout"):
            await _client(http, served).send_message("c1", "hello", {"lang": "en"})
    assert len(served.received) == 1


async def test_tracker_events_cut_are_not_sent_again(served: DroppingServer) -> None:
    """Appending events twice would append them twice: only a customer's message is sent again."""
    served.drop = 1
    async with httpx.AsyncClient() as http:
        with pytest.raises(RasaUnavailable):
            await _client(http, served).append_events("c1", [{"event": "action", "name": "action_listen"}])
    assert len(served.received) == 1
