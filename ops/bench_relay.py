"""Agent -> customer relay latency: an agent's message, from the moment the agent's POST starts to
the moment the customer's live stream (server-sent events) delivers it, over the real web app,
Redis, Rasa and action server on loopback.

    .venv-app/bin/python -m ops.bench_relay [--web URL] [--conversations 20] [--messages 20] [--pause 0.2]

Without --web it starts its own stack on the sample help centre (about 2 minutes)."""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from httpx_sse import aconnect_sse
from tqdm import tqdm

from handoff.agents import save_agent
from handoff.connection import connect


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


async def make_agent(redis_url: str, web: str, http: httpx.AsyncClient) -> str:
    username, password = f"bench-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    client = connect(redis_url)
    await save_agent(client, username, password, "Bench agent", ["en", "fr"])
    await client.aclose()
    login = await http.post(f"{web}/api/agent/login", json={"username": username, "password": password})
    login.raise_for_status()
    return login.json()["token"]


async def one_conversation(web: str, token: str, messages: int, pause: float, progress: tqdm) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    sent_at: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=web, timeout=60) as customer, httpx.AsyncClient(
            base_url=web, timeout=60, headers={"Authorization": f"Bearer {token}"}) as agent:
        conversation_id = (await customer.post("/api/conversations")).json()["conversation_id"]
        turn = (await customer.post(f"/api/conversations/{conversation_id}/messages",
                                    json={"text": "I want to talk to a person"})).json()
        if turn["owner"] != "queued":
            raise RuntimeError(f"not queued: {turn}")
        (await agent.post(f"/api/agent/conversations/{conversation_id}/claim")).raise_for_status()
        received = asyncio.Event()
        count = 0

        async def listen() -> None:
            nonlocal count
            async with aconnect_sse(customer, "GET", f"/api/conversations/{conversation_id}/events",
                                    timeout=httpx.Timeout(60, read=None)) as source:
                async for event in source.aiter_sse():
                    if event.event != "message":
                        continue
                    text = event.json().get("text", "")
                    if text in sent_at:
                        latencies.append((time.perf_counter() - sent_at.pop(text)) * 1000)
                        count += 1
                        progress.update()
                        if count == messages:
                            received.set()
                            return

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0.5)  # the stream is open
        for i in range(messages):
            text = f"relay {conversation_id[:6]} {i}"
            sent_at[text] = time.perf_counter()
            response = await agent.post(f"/api/agent/conversations/{conversation_id}/messages", json={"text": text})
            if response.status_code != 200:
                errors += 1
                sent_at.pop(text, None)
            await asyncio.sleep(pause)
        try:
            await asyncio.wait_for(received.wait(), timeout=30)
        except TimeoutError:
            errors += len(sent_at)
        listener.cancel()
        await agent.post(f"/api/agent/conversations/{conversation_id}/close", json={"resolution": "resolved"})
    return latencies, errors


async def bench(web: str, redis_url: str, conversations: int, messages: int, pause: float) -> dict[str, float]:
    async with httpx.AsyncClient(timeout=60) as http:
        tokens = [await make_agent(redis_url, web, http) for _ in range(conversations)]
    progress = tqdm(total=conversations * messages, desc="relayed messages", unit="msg")
    results = await asyncio.gather(*(one_conversation(web, token, messages, pause, progress) for token in tokens))
    progress.close()
    latencies = [value for values, _ in results for value in values]
    return {
        "conversations": conversations, "messages": len(latencies), "errors": sum(e for _, e in results),
        "p50_ms": statistics.median(latencies), "p95_ms": percentile(latencies, 0.95),
        "p99_ms": percentile(latencies, 0.99), "max_ms": max(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--web", help="a running web app; its Redis must be given with --redis-url")
    parser.add_argument("--redis-url")
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--messages", type=int, default=20, help="agent messages per conversation")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between an agent's messages")
    args = parser.parse_args()
    stack = None
    if args.web:
        web, redis_url = args.web, args.redis_url or "redis://127.0.0.1:6380/0"
    else:
        from knowledge.__main__ import main as knowledge_cli
        from ops.stack import start_stack

        workdir = Path(tempfile.mkdtemp(prefix="bench-relay-"))
        os.environ["CHROMA_PATH"] = str(workdir / "chroma")
        knowledge_cli(["ingest"])
        print("starting Redis, the action server, Rasa and the web app (about 2 minutes)")
        stack = start_stack(workdir, workdir / "chroma")
        web, redis_url = stack.urls["web"], stack.urls["redis"]
    try:
        result = asyncio.run(bench(web, redis_url, args.conversations, args.messages, args.pause))
    finally:
        if stack:
            stack.stop()
    print("agent -> customer relay: " + ", ".join(
        f"{key} {value:.1f}" if isinstance(value, float) else f"{key} {value}" for key, value in result.items()))


if __name__ == "__main__":
    main()
