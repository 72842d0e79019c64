"""/metrics on the web app (real Redis, Rasa faked): each bot reply returned to the customer counted once,
by outcome, reason and language; hand-overs by reason; turns timed; the queue and the outbox as gauges."""
from __future__ import annotations

import re
from collections import Counter

import httpx
import pytest
from redis.asyncio import Redis

from tests.handoff.conftest import online_agent

pytestmark = pytest.mark.anyio
SAMPLE = re.compile(r"^(\w+)(?:\{([^}]*)\})?\s+(\S+)$")


async def scrape(web: httpx.AsyncClient, **headers: str) -> dict[tuple[str, frozenset], float]:
    response = await web.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for line in response.text.splitlines():
        found = SAMPLE.match(line)
        if found and not line.startswith("#"):
            labels = frozenset(re.findall(r'(\w+)="([^"]*)"', found.group(2) or ""))
            samples[(found.group(1), labels)] = float(found.group(3))
    return samples


def by_outcome(samples: dict[tuple[str, frozenset], float]) -> Counter:
    counts: Counter = Counter()
    for (name, labels), value in samples.items():
        if name == "chat_bot_replies_total":
            counts[(dict(labels)["outcome"], dict(labels)["reason"], dict(labels)["lang"])] += value
    return counts


async def test_each_reply_the_customer_got_is_counted_once(web: httpx.AsyncClient, redis_client: Redis) -> None:
    await online_agent(redis_client, "bob", ["en"])
    before = await scrape(web)
    got: Counter = Counter()
    turns = 0
    for texts in (["how do I reset my password?", "and my pin?"], ["I want to talk to a person"], ["fraud on my card"]):
        conversation_id = (await web.post("/api/conversations")).json()["conversation_id"]
        for text in texts:
            response = await web.post(f"/api/conversations/{conversation_id}/messages", json={"text": text})
            turns += 1
            for reply in response.json()["replies"]:
                got[(reply["outcome"], reply.get("reason") or "none", reply.get("lang") or "none")] += 1
    after = await scrape(web)
    assert by_outcome(after) - by_outcome(before) == got
    assert got == Counter({("answer", "none", "en"): 2, ("escalate", "customer_request", "en"): 1,
                           ("escalate", "sensitive", "en"): 1})
    handoffs = {dict(labels)["reason"]: after[(name, labels)] - before.get((name, labels), 0)
                for name, labels in after if name == "chat_handoffs_total"}
    assert {reason: n for reason, n in handoffs.items() if n} == {"customer_request": 1, "sensitive": 1}
    assert after[("chat_turn_seconds_count", frozenset())] - before[("chat_turn_seconds_count", frozenset())] == turns
    assert after[("chat_queue_waiting", frozenset())] == 2
    assert ("chat_live_streams", frozenset()) in after
    assert after[("chat_insights_outbox_pending", frozenset())] >= 0


@pytest.mark.parametrize("web_settings", [{"metrics_token": "scrape-secret"}])
async def test_with_a_metrics_token_metrics_need_it(web_settings: dict, web: httpx.AsyncClient) -> None:
    assert (await web.get("/metrics")).status_code == 401
    assert (await web.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
    await scrape(web, Authorization="Bearer scrape-secret")


@pytest.mark.parametrize("web_settings", [{"trusted_proxies": ["127.0.0.1"]}])
async def test_without_a_token_metrics_answer_this_host_only(web_settings: dict, web: httpx.AsyncClient) -> None:
    # Through a trusted proxy, the request comes from the address it names.
    assert (await web.get("/metrics", headers={"X-Forwarded-For": "203.0.113.5"})).status_code == 403
    assert (await web.get("/metrics", headers={"X-Forwarded-For": "::1"})).status_code == 200
