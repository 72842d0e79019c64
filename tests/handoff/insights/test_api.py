"""The insights API through the web app (real Redis, SQLite store, Rasa faked): who may call what, the
summary of conversations that really went through the routes, the rating, the CSV, reviews and /metrics."""
from __future__ import annotations

import os
from datetime import datetime, timezone

import httpx
import pytest
from redis.asyncio import Redis

from handoff.agents import save_agent
from handoff.insights.store import make_engine
from handoff.insights.writer import OutboxWriter
from tests.handoff.conftest import PASSWORD, online_agent
from tests.handoff.fake_rasa import RESET_ARTICLE

pytestmark = pytest.mark.anyio


async def bearer(web: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await web.post("/api/agent/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    web.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def written(redis: Redis) -> None:
    """Everything recorded so far in the SQL store (taking over what the app's own writer holds)."""
    engine = make_engine(os.environ["DATABASE_URL"])
    await OutboxWriter(redis, engine, consumer="test", claim_idle_ms=0).write_all()
    engine.dispose()


async def conversation(web: httpx.AsyncClient, *texts: str) -> tuple[str, list[dict]]:
    conversation_id = (await web.post("/api/conversations")).json()["conversation_id"]
    turns = []
    for text in texts:
        response = await web.post(f"/api/conversations/{conversation_id}/messages", json={"text": text, "lang": "en"})
        assert response.status_code == 200, response.text
        turns.append(response.json())
    return conversation_id, turns


async def test_insights_need_a_session_and_the_role(web: httpx.AsyncClient, redis_client: Redis) -> None:
    await save_agent(redis_client, "alice", PASSWORD, "Alice", ["en"], ["agent"])
    for path in ("/api/insights/summary", "/api/insights/export.csv", "/api/insights/proposal",
                 "/api/insights/review/sample"):
        assert (await web.get(path)).status_code == 401, path
    alice = await bearer(web, "alice")
    for path in ("/api/insights/summary", "/api/insights/export.csv", "/api/insights/proposal",
                 "/api/insights/review/sample"):
        assert (await web.get(path, headers=alice)).status_code == 403, path
    assert (await web.post("/api/insights/review/1-0", json={"verdict": "correct"}, headers=alice)).status_code == 403


async def test_the_summary_counts_what_went_through_the_routes(web: httpx.AsyncClient, redis_client: Redis) -> None:
    await save_agent(redis_client, "sue", PASSWORD, "Sue", ["en"], ["agent", "supervisor", "reviewer"])
    await online_agent(redis_client, "bob", ["en"])
    helped, turns = await conversation(web, "how do I reset my password?")
    assert (await web.post(f"/api/conversations/{helped}/rating", json={"rating": 2})).status_code == 204
    assert (await web.post(f"/api/conversations/{helped}/rating", json={"rating": 5})).status_code == 204  # replaces
    handed, _ = await conversation(web, "reset password?", "I want to talk to a person")
    unhelpful, unhelpful_turns = await conversation(web, "password")
    answer_id = unhelpful_turns[0]["messages"][0]["id"]
    feedback = await web.post(f"/api/conversations/{unhelpful}/feedback", json={"message_id": answer_id, "helpful": False})
    assert feedback.status_code == 200, feedback.text
    await web.post("/api/conversations")  # started, no message
    bob = await bearer(web, "bob")
    assert (await web.post(f"/api/agent/conversations/{handed}/claim", headers=bob)).status_code == 200
    sent = await web.post(f"/api/agent/conversations/{handed}/messages", headers=bob,
                          json={"text": "Hello", "from_suggestion": True})
    assert sent.status_code == 200, sent.text
    assert (await web.post(f"/api/agent/conversations/{handed}/close", headers=bob,
                           json={"resolution": "resolved"})).status_code == 200
    await written(redis_client)

    sue = await bearer(web, "sue")
    response = await web.get("/api/insights/summary", headers=sue)
    assert response.status_code == 200, response.text
    summary = response.json()
    today = datetime.now(timezone.utc).date().isoformat()
    assert summary["to"] == today
    assert (summary["conversations"], summary["conversations_with_messages"]) == (4, 3)
    assert summary["self_care_rate"] == pytest.approx(1 / 3)  # only `helped`
    # Question turns: 3 answers, 2 escalations (the person asked for, the "not helpful").
    assert summary["answer_rate"] == pytest.approx(3 / 5) and summary["decline_rate"] == 0
    assert summary["escalations"] == {"customer_request": 1, "not_helpful": 1}
    assert summary["csat"] == {"mean": 5, "count": 1, "satisfied_rate": 1}
    assert summary["helpful"] == {"yes": 0, "no": 1, "rate": 0}
    assert summary["queue_wait_s"]["median"] is not None and summary["first_response_s"]["median"] is not None
    assert summary["handling_s"]["median"] is not None and summary["pending_events"] == 0
    assert summary["articles"][0]["article"] == RESET_ARTICLE and summary["articles"][0]["answers"] == 3
    assert summary["articles"][0]["handovers_after"] == 2 and summary["articles"][0]["unhelpful_rate"] == 1
    assert summary["by_day"][-1]["day"] == today and summary["by_day"][-1]["conversations"] == 4
    assert summary["conformity"]["reviewed"] == 0 and summary["conformity"]["alert"] is False

    csv = await web.get(f"/api/insights/export.csv?from={today}&to={today}", headers=sue)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert f'filename="insights-{today}-{today}.csv"' in csv.headers["content-disposition"]
    assert csv.text.splitlines()[0] == "day,conversations,self_care_rate,answer_rate,handovers,csat_mean"
    assert csv.text.splitlines()[1].startswith(f"{today},4,")

    sample = (await web.get("/api/insights/review/sample?n=10", headers=sue)).json()
    assert len(sample) == 3 and {item["article"] for item in sample} == {RESET_ARTICLE}
    first = sample[0]["event_id"]
    assert (await web.post(f"/api/insights/review/{first}", json={"verdict": "correct"}, headers=sue)).status_code == 204
    assert (await web.post(f"/api/insights/review/{first}", json={"verdict": "wrong_article"}, headers=sue)).status_code == 409
    assert (await web.post("/api/insights/review/1-0", json={"verdict": "correct"}, headers=sue)).status_code == 404
    assert len((await web.get("/api/insights/review/sample", headers=sue)).json()) == 2
    conformity = (await web.get("/api/insights/summary", headers=sue)).json()["conformity"]
    assert (conformity["reviewed"], conformity["estimate"], conformity["by_lang"]["en"]["reviewed"]) == (1, 1.0, 1)
    assert conformity["alert"] is True  # 1/1: the interval's low (0.21) is far under 0.95


async def test_bad_periods_are_refused(web: httpx.AsyncClient, redis_client: Redis) -> None:
    await save_agent(redis_client, "sue", PASSWORD, "Sue", ["en"], ["supervisor"])
    sue = await bearer(web, "sue")
    assert (await web.get("/api/insights/summary?from=2026-02-02&to=2026-02-01", headers=sue)).status_code == 422
    assert (await web.get("/api/insights/summary?from=2026-02-30", headers=sue)).status_code == 422


async def test_a_rating_outside_1_to_5_is_refused(web: httpx.AsyncClient) -> None:
    conversation_id = (await web.post("/api/conversations")).json()["conversation_id"]
    for rating in (0, 6):
        assert (await web.post(f"/api/conversations/{conversation_id}/rating", json={"rating": rating})).status_code == 422
    assert (await web.post(f"/api/conversations/{'x' * 32}/rating", json={"rating": 3})).status_code == 404


@pytest.mark.parametrize("web_settings", [{"database_url": "postgresql+psycopg://postgres@127.0.0.1:9/nowhere"}])
async def test_with_the_store_down_customers_are_answered_and_events_wait(
        web_settings: dict, web: httpx.AsyncClient, redis_client: Redis) -> None:
    await save_agent(redis_client, "sue", PASSWORD, "Sue", ["en"], ["supervisor"])
    _, turns = await conversation(web, "how do I reset my password?", "thanks")
    assert [turn["replies"][0]["outcome"] for turn in turns] == ["answer", "answer"]
    sue = await bearer(web, "sue")
    down = await web.get("/api/insights/summary", headers=sue)
    assert down.status_code == 503 and "Retry-After" in down.headers
    metrics = (await web.get("/metrics")).text
    assert "chat_insights_outbox_pending 3.0" in metrics  # the start and two replies wait in Redis
