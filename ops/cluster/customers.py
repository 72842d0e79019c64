"""Customers of the failover drill: each chats with the bot through HAProxy at a human pace, retrying as the
widget does (the same client_id; 1, 2, 4, 8, 15 s, or a 503's Retry-After when longer), and keeps one live stream
open, reconnecting with Last-Event-ID as a browser's EventSource does. Each keeps what it was told:
the turns acknowledged (2xx) and the message ids its stream delivered."""
from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse import SSEError, aconnect_sse

# widget.js RETRY_DELAYS_MS, and the pause of a browser's EventSource before it reconnects.
RETRY_DELAYS_S = (1, 2, 4, 8, 15)
RECONNECT_S = 1.0
QUESTIONS = (
    ("How do I reset my password?", "en"), ("are you a bot?", "en"), ("How can I pay my bill?", "en"),
    ("How do I activate roaming?", "en"), ("are you a robot?", "en"), ("Comment changer mon code PIN ?", "fr"),
)


@dataclass(frozen=True)
class Turn:
    message_id: str
    text: str
    replies: int  # the bot's messages the response carried
    sent_at: float  # monotonic, the first attempt
    answered_at: float  # monotonic, the acknowledged response
    last_attempt_at: float = 0.0  # monotonic, when the acknowledged attempt went out


@dataclass(frozen=True)
class FailedAttempt:
    """One attempt at sending a message that was not acknowledged: when it went out and came back, and why."""
    sent_at: float  # monotonic
    failed_at: float
    what: str  # "503 redis", "503 rasa HTTPStatusError", "503 proxy", "ReadError", ...


def _why_503(response: httpx.Response) -> str:
    """Which service a 503 names (handoff/web/errors.py, customer.py), or the proxy's own (no server left)."""
    detail = response.text
    if "conversation store" in detail:
        return "503 redis"
    if "gave no reply" in detail:
        return "503 no reply"
    if "assistant is unavailable" in detail:
        return f"503 rasa {detail.rsplit(': ', 1)[-1].split(' on ')[0][:40]}"
    return "503 proxy"


@dataclass
class Customer:
    conversation_id: str
    turns: list[Turn] = field(default_factory=list)
    streamed: list[str] = field(default_factory=list)  # message ids, in the order the live stream gave them
    stream_connections: list[int] = field(default_factory=list)  # for each of `streamed`: which connection gave it
    reconnections: int = 0
    stream_ends: dict[str, int] = field(default_factory=dict)  # why each live-stream connection ended
    failures: list[FailedAttempt] = field(default_factory=list)  # attempts retried (the same client_id)
    refused: list[str] = field(default_factory=list)  # 4xx answers: each is a defect

    def _stream_ended(self, why: str) -> None:
        self.stream_ends[why] = self.stream_ends.get(why, 0) + 1

    @property
    def failed_attempts(self) -> dict[str, int]:
        """Failed attempts by kind ("503", "ReadError", ...), each retried until acknowledged."""
        counts: dict[str, int] = {}
        for failure in self.failures:
            kind = failure.what.split(" ")[0]
            counts[kind] = counts.get(kind, 0) + 1
        return counts

    async def send(self, http: httpx.AsyncClient, text: str, lang: str) -> None:
        """One message, retried until it is acknowledged (or refused, which is recorded)."""
        client_id, started = uuid.uuid4().hex, time.monotonic()
        for attempt in range(1000):
            delay = RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)]
            sent_at = time.monotonic()
            try:
                response = await http.post(f"/api/conversations/{self.conversation_id}/messages",
                                           json={"text": text, "lang": lang, "client_id": client_id})
            except httpx.TransportError as error:
                self.failures.append(FailedAttempt(sent_at, time.monotonic(), type(error).__name__))
            else:
                if response.is_success:
                    turn = response.json()
                    self.turns.append(Turn(turn["message_id"], text, len(turn["messages"]), started, time.monotonic(),
                                           sent_at))
                    return
                if response.status_code < 500:
                    self.refused.append(f"{response.status_code} {response.text[:200]}")
                    return
                what = _why_503(response) if response.status_code == 503 else str(response.status_code)
                self.failures.append(FailedAttempt(sent_at, time.monotonic(), what))
                if response.status_code == 503:  # the hint, never sooner than the back-off (widget.js)
                    delay = max(int(response.headers.get("Retry-After") or 0), delay)
            await asyncio.sleep(delay)

    async def chat(self, http: httpx.AsyncClient, pause_s: float, stop: asyncio.Event) -> None:
        rng = random.Random(self.conversation_id)
        await asyncio.sleep(rng.uniform(0, pause_s))  # customers do not all arrive at once
        while not stop.is_set():
            text, lang = rng.choice(QUESTIONS)
            await self.send(http, text, lang)
            try:
                await asyncio.wait_for(stop.wait(), pause_s * rng.uniform(0.5, 1.5))
            except TimeoutError:
                pass

    async def listen(self, http: httpx.AsyncClient) -> None:
        """The live stream, until cancelled."""
        url = f"/api/conversations/{self.conversation_id}/events"
        while True:
            headers = {"Last-Event-ID": self.streamed[-1]} if self.streamed else {}
            try:
                async with aconnect_sse(http, "GET", url, headers=headers,
                                        timeout=httpx.Timeout(5, read=60)) as source:
                    if not source.response.is_success:
                        self._stream_ended(str(source.response.status_code))
                    else:
                        async for event in source.aiter_sse():
                            # httpx-sse 0.4 turns each keep-alive ping into a "message" event with no data
                            # and the previous id; a browser's EventSource dispatches nothing for it.
                            if event.event == "message" and event.data:
                                self.streamed.append(event.id)
                                self.stream_connections.append(self.reconnections)
                        self._stream_ended("closed")
            except (httpx.TransportError, SSEError) as error:
                self._stream_ended(type(error).__name__)
            self.reconnections += 1
            await asyncio.sleep(RECONNECT_S)

    async def history(self, http: httpx.AsyncClient) -> list[dict[str, Any]]:
        response = await http.get(f"/api/conversations/{self.conversation_id}/messages", timeout=30)
        response.raise_for_status()
        return list(response.json())


async def new_customer(http: httpx.AsyncClient) -> Customer:
    response = await http.post("/api/conversations", timeout=30)
    response.raise_for_status()
    return Customer(response.json()["conversation_id"])
