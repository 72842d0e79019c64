"""Insights through the real stack (web app, Rasa, action server, Redis, the stack's SQLite store): /metrics
counts each reply customers got by outcome, the action server times its decisions, and the summary counts
the conversations."""
from __future__ import annotations

import asyncio
import re
from collections import Counter

import httpx
import pytest

from handoff.agents import save_agent
from handoff.connection import connect
from handoff.insights.store import make_engine
from handoff.insights.writer import OutboxWriter
from ops.stack import Stack
from tests.e2e.handoff_clients import AgentClient, Customer, unique

pytestmark = pytest.mark.e2e


def replies_by_outcome(metrics_text: str) -> Counter:
    counts: Counter = Counter()
    for labels, value in re.findall(r"^chat_bot_replies_total\{([^}]*)\} (\S+)$", metrics_text, re.MULTILINE):
        counts[re.search(r'outcome="([^"]*)"', labels).group(1)] += float(value)
    return counts


def decisions(metrics_text: str) -> float:
    return float(re.search(r"^chat_decision_seconds_count (\S+)$", metrics_text, re.MULTILINE).group(1))


async def _supervisor_and_writes(stack: Stack) -> str:
    """A supervisor's token, once every event recorded so far is in the store."""
    redis = connect(stack.urls["redis"])
    username = unique("supervisor")
    await save_agent(redis, username, AgentClient.PASSWORD, "Sue", ["en"], ["supervisor"])
    engine = make_engine(stack.env["DATABASE_URL"])
    await OutboxWriter(redis, engine, consumer="e2e", claim_idle_ms=0).write_all()
    engine.dispose()
    await redis.aclose()
    return username


def test_metrics_and_summary_follow_real_turns(warm_stack: Stack) -> None:
    web, actions = warm_stack.urls["web"], warm_stack.urls["actions"]
    token = {"token": warm_stack.actions_token}
    before = httpx.get(f"{web}/metrics").text
    decided_before = decisions(httpx.get(f"{actions}/metrics", params=token).text)
    got: Counter = Counter()
    customers = [Customer(web) for _ in range(3)]
    for customer, text in zip(customers, ["How do I reset my password?", "what is the capital of Peru",
                                          "Je veux parler à un conseiller"]):
        got.update(reply["outcome"] for reply in customer.say(text)["replies"])
    after = httpx.get(f"{web}/metrics").text
    delta = replies_by_outcome(after) - replies_by_outcome(before)
    assert delta == got and got["answer"] >= 1
    assert decisions(httpx.get(f"{actions}/metrics", params=token).text) > decided_before

    username = asyncio.run(_supervisor_and_writes(warm_stack))
    login = httpx.post(f"{web}/api/agent/login", json={"username": username, "password": AgentClient.PASSWORD})
    summary = httpx.get(f"{web}/api/insights/summary",
                        headers={"Authorization": f"Bearer {login.json()['token']}"}).json()
    assert summary["conversations"] >= 3 and summary["pending_events"] == 0
    assert summary["answer_rate"] is not None and "conformity" in summary
