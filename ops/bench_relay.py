"""Agent -> customer relay latency: an agent's message, from the moment the agent's POST starts to
the moment the customer's live stream (server-sent events) delivers it, over the real web app,
Redis, Rasa and action server on loopback.

    .venv-app/bin/python -m ops.bench_relay [--web URL --redis-url URL] [--conversations 20] [--duration 60] [--pause 2]

Without --web it starts its own stack on the sample help centre (about 2 minutes). `make bench`
runs the same measurement with the other phases."""
from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from collections import Counter

import httpx
from httpx_sse import aconnect_sse
from tqdm import tqdm

from handoff.agents import save_agent
from handoff.connection import connect
from ops.bench_load import Budget, Pace, Samples, Saturation, progress_bar, saturate

DELIVERY_TIMEOUT_S = 30.0


class RelayedConversation:
    """A customer handed to an agent, with the customer's live stream open."""

    def __init__(self, web: str, token: str) -> None:
        limits = httpx.Limits(max_connections=4)
        self.customer = httpx.AsyncClient(base_url=web, timeout=60, limits=limits)
        self.agent = httpx.AsyncClient(base_url=web, timeout=60, limits=limits, headers={"Authorization": f"Bearer {token}"})
        self.conversation_id = ""
        self._pending: dict[str, asyncio.Future[float]] = {}
        self._listener: asyncio.Task[None] | None = None
        self.drops: list[str] = []  # why the customer's live stream dropped, each time it did

    async def open(self) -> None:
        self.conversation_id = (await self.customer.post("/api/conversations")).raise_for_status().json()["conversation_id"]
        turn = (await self.customer.post(f"/api/conversations/{self.conversation_id}/messages",
                                         json={"text": "I want to talk to a person", "lang": "en"})).raise_for_status().json()
        if turn["owner"] != "queued":
            raise RuntimeError(f"asking for a person did not queue the conversation: {turn}")
        (await self.agent.post(f"/api/agent/conversations/{self.conversation_id}/claim")).raise_for_status()
        live = asyncio.get_running_loop().create_future()
        self._listener = asyncio.create_task(self._listen(live))
        # The stream replays the conversation first: once its first message arrives, it is live.
        await asyncio.wait_for(live, DELIVERY_TIMEOUT_S)

    async def _listen(self, live: asyncio.Future[None]) -> None:
        """As the widget's EventSource: a dropped stream reconnects from the last message seen (and says why it dropped)."""
        last_id = "0"
        while True:
            try:
                async with aconnect_sse(self.customer, "GET", f"/api/conversations/{self.conversation_id}/events",
                                        params={"after": last_id}, timeout=httpx.Timeout(60, read=None)) as source:
                    async for event in source.aiter_sse():
                        if event.event != "message" or not event.data:  # keep-alives carry no data
                            continue
                        arrived = time.perf_counter()
                        last_id = event.id or last_id
                        if not live.done():
                            live.set_result(None)
                        waiting = self._pending.pop(event.json().get("text", ""), None)
                        if waiting is not None and not waiting.done():
                            waiting.set_result(arrived)
                self.drops.append("stream ended")
            except (httpx.HTTPError, ValueError) as error:
                self.drops.append(f"{type(error).__name__}: {error}"[:120])
            await asyncio.sleep(0.2)

    async def relay(self, text: str, samples: Samples) -> None:
        """The agent sends `text`; recorded once the customer's stream delivers it."""
        arrival = asyncio.get_running_loop().create_future()
        self._pending[text] = arrival
        started = time.perf_counter()
        try:
            response = await self.agent.post(f"/api/agent/conversations/{self.conversation_id}/messages", json={"text": text})
            if response.status_code != 200:
                samples.error(f"HTTP {response.status_code}")
                return
            arrived = await asyncio.wait_for(arrival, DELIVERY_TIMEOUT_S)
        except TimeoutError:
            samples.error("not delivered")
            return
        except httpx.HTTPError as error:
            samples.error(type(error).__name__)
            return
        finally:
            self._pending.pop(text, None)
        samples.record((arrived - started) * 1000, "relayed")

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
        try:
            await self.agent.post(f"/api/agent/conversations/{self.conversation_id}/close", json={"resolution": "resolved"})
        except httpx.HTTPError:
            pass  # the conversation only ends with the benchmark
        await self.customer.aclose()
        await self.agent.aclose()


async def make_agent(redis_url: str, web: str) -> str:
    username, password = f"bench-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    client = connect(redis_url)
    await save_agent(client, username, password, "Bench agent", ["en", "fr"])
    await client.aclose()
    async with httpx.AsyncClient(timeout=60) as http:
        login = await http.post(f"{web}/api/agent/login", json={"username": username, "password": password})
    login.raise_for_status()
    return str(login.json()["token"])


async def open_conversations(web: str, redis_url: str, count: int) -> list[RelayedConversation]:
    conversations = []
    for _ in tqdm(range(count), desc="handing conversations to agents", unit="chat", dynamic_ncols=True, leave=False):
        conversation = RelayedConversation(web, await make_agent(redis_url, web))
        await conversation.open()
        conversations.append(conversation)
    return conversations


async def agent_messages(conversation: RelayedConversation, pace: Pace, budget: Budget, samples: Samples,
                         rng: random.Random) -> None:
    if pace.pause_s:
        await asyncio.sleep(rng.uniform(0, pace.pause_s))
    sent = 0
    while budget.take():
        await conversation.relay(f"relay {conversation.conversation_id[:8]} {sent} {uuid.uuid4().hex[:6]}", samples)
        sent += 1
        if pace.pause_s:
            await asyncio.sleep(min(pace.pause(rng), budget.left_s()))


async def relay_at_pace(conversations: list[RelayedConversation], pace: Pace, budget: Budget, name: str = "relay",
                        seed: int = 0) -> Samples:
    samples = Samples(name, progress=progress_bar(f"{name} ({budget.seconds:g} s or {budget.max_turns} messages)", "msg"))
    await asyncio.gather(*(agent_messages(c, pace, budget, samples, random.Random(seed * 1000 + i))
                           for i, c in enumerate(conversations)))
    samples.finish()
    return samples


def stream_drops(conversations: list[RelayedConversation]) -> dict[str, int]:
    """Why customers' live streams dropped during the phase (each reconnected)."""
    return dict(Counter(reason for c in conversations for reason in c.drops))


async def relay_saturation(conversations: list[RelayedConversation], seconds_per_level: float, max_turns: int) -> Saturation:
    async def level(concurrency: int) -> Samples:
        samples = Samples(f"relay x{concurrency}")
        budget = Budget(seconds_per_level, max_turns)
        await asyncio.gather(*(agent_messages(c, Pace(0.0), budget, samples, random.Random(i))
                               for i, c in enumerate(conversations[:concurrency])))
        samples.finish()
        return samples

    return await saturate("relay saturation", level, len(conversations))


async def _bench(web: str, redis_url: str, conversations: int, pace: Pace, budget: Budget) -> Samples:
    opened = await open_conversations(web, redis_url, conversations)
    try:
        return await relay_at_pace(opened, pace, budget)
    finally:
        await asyncio.gather(*(c.close() for c in opened))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--web", help="a running web app; its Redis must be given with --redis-url")
    parser.add_argument("--redis-url")
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--messages", type=int, default=2000, help="agent messages in all, at most")
    parser.add_argument("--pause", type=float, default=2.0, help="mean seconds between an agent's messages (jittered ±50%%)")
    args = parser.parse_args()
    from ops.bench_stack import bench_stack

    with bench_stack(args.web, args.redis_url) as stack:
        samples = asyncio.run(_bench(stack.web, stack.redis_url, args.conversations, Pace(args.pause),
                                     Budget(args.duration, args.messages)))
    result = samples.summary()
    print("agent -> customer relay: " + ", ".join(
        f"{key} {result[key]:.1f}" if isinstance(result[key], float) else f"{key} {result[key]}"
        for key in ("turns", "errors", "turns_per_s", "p50_ms", "p95_ms", "p99_ms", "max_ms")))


if __name__ == "__main__":
    main()
