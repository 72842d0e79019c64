"""Answers suggested to advisors: POST /suggestions on the action server, as the web app calls it."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sanic import Sanic

from actions.server import create_app
from actions.suggestions import suggest_for_conversation, suggestion_floor
from handoff.suggestions import SuggestionClient
from knowledge.answering.engine import KnowledgeEngine
from knowledge.answering.service import KnowledgeService
from knowledge.contract import SUGGESTIONS_PATH
from ops.stack import free_port

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def serving(service: KnowledgeService, token: str | None = None) -> AsyncIterator[str]:
    """The action server's app (actions and /suggestions) serving over HTTP, on `service`."""
    app = create_app("actions", service=lambda: service, token=token or "")
    # Sanic rewrites its own request-reading code once per process ("touchup"); a second app fails at it.
    app.config.TOUCHUP = False
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port)
    assert server is not None
    await server.startup()
    await server.start_serving()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.close()
        Sanic.unregister_app(app)


@pytest.fixture
async def actions_url(sample_service: KnowledgeService) -> AsyncIterator[str]:
    async with serving(sample_service) as url:
        yield url


@pytest.fixture
async def suggestions(actions_url: str) -> AsyncIterator[SuggestionClient]:
    async with httpx.AsyncClient(timeout=60) as http:
        yield SuggestionClient(http, actions_url)


async def test_the_best_articles_are_suggested_with_their_whole_answer(
    suggestions: SuggestionClient, sample_engine: KnowledgeEngine
) -> None:
    found = await suggestions.suggest("conv-1", "where is my parcel? I want to track my order", "en")
    assert 1 <= len(found) <= 3
    article = sample_engine.snapshot.articles["lumen/track-order-en"]
    assert (found[0]["article"], found[0]["title"], found[0]["text"]) == (article.id, article.title, article.body.strip())
    confidences = [s["confidence"] for s in found]
    assert confidences == sorted(confidences, reverse=True)
    assert all(suggestion_floor(sample_engine, "en") <= c <= 1 for c in confidences)
    assert all(s["article"].endswith("-en") for s in found)
    assert found[0]["sources"][0]["article"] == "lumen/track-order-en"
    assert found[0]["question"] == "where is my parcel? I want to track my order"


async def test_after_asking_for_a_person_the_suggestions_come_from_the_question_before(
    suggestions: SuggestionClient, sample_engine: KnowledgeEngine
) -> None:
    asked = "why is my bill higher this month?"
    found = await suggestions.suggest("conv-1", "I want to speak to a human", "en", [asked])
    assert found[0]["article"] == "lumen/understand-bill-en"
    assert all(s["question"] == asked for s in found)
    # The whole article, where main cut it at 600 characters mid-sentence; the passage that answers is flagged in it.
    body = sample_engine.snapshot.articles["lumen/understand-bill-en"].body.strip()
    assert found[0]["text"] == body
    assert found[0]["passage"] and found[0]["passage"] in body and len(found[0]["passage"]) < len(body)


async def test_asking_for_a_person_with_no_question_before_gets_no_suggestion(suggestions: SuggestionClient) -> None:
    assert await suggestions.suggest("conv-1", "I want to speak to a human", "en") == []
    assert await suggestions.suggest("conv-1", "/request_human", "en", ["hello", "I want to talk to a person"]) == []


def test_nothing_below_the_calibrated_answer_threshold_is_suggested(sample_engine: KnowledgeEngine) -> None:
    floor = suggestion_floor(sample_engine, "en")
    assert floor == sample_engine.thresholds.answer_for("en") and 0 < floor < 1
    # On main, this got three suggestions at a few percent each.
    assert suggest_for_conversation(sample_engine, ["what's the weather like in Lisbon tomorrow?"], "en") == []


def test_the_newest_question_with_a_topic_comes_first(sample_engine: KnowledgeEngine) -> None:
    found = suggest_for_conversation(
        sample_engine, ["I want to speak to a human", "how do I reset my password?", "why is my bill higher this month?"], "en")
    assert [s["article"] for s in found][:2] == ["lumen/reset-password-en", "lumen/understand-bill-en"]


async def test_suggestions_include_articles_the_bot_would_not_answer_with(
    suggestions: SuggestionClient, sample_service: KnowledgeService
) -> None:
    question = "problème de paiement"
    assert sample_service.decide(question).outcome.value == "decline"
    found = await suggestions.suggest("conv-1", question, "fr")
    assert found and all(s["article"].endswith("-fr") for s in found)
    assert {s["article"] for s in found} & {"lumen/payment-methods-fr", "lumen/failed-payment-fr"}


async def test_an_empty_message_gets_no_suggestion(actions_url: str) -> None:
    async with httpx.AsyncClient(timeout=60) as http:
        response = await http.post(f"{actions_url}{SUGGESTIONS_PATH}", json={"text": "  ", "lang": None})
    assert response.status_code == 200
    assert response.json() == {"suggestions": []}


async def test_the_request_the_web_app_sends_is_answered(actions_url: str) -> None:
    async with httpx.AsyncClient(timeout=60) as http:
        response = await http.post(f"{actions_url}{SUGGESTIONS_PATH}", json={"text": "how do I reset my password?", "lang": "en"})
        # The same process serves rasa-sdk's own routes.
        health = await http.get(f"{actions_url}/health")
        actions = (await http.get(f"{actions_url}/actions")).json()
    assert response.status_code == 200
    assert response.json()["suggestions"][0]["article"] == "lumen/reset-password-en"
    assert health.json() == {"status": "ok"}
    assert {"action_answer_question", "action_hand_over"} <= {action["name"] for action in actions}


async def test_a_request_outside_the_contract_is_refused(actions_url: str) -> None:
    async with httpx.AsyncClient(timeout=60) as http:
        for body in ({"lang": "en"}, {"text": 3}, ["text"], {"text": "hi", "earlier": "hello"}, {"text": "hi", "earlier": [3]}):
            assert (await http.post(f"{actions_url}{SUGGESTIONS_PATH}", json=body)).status_code == 400
        assert (await http.post(f"{actions_url}{SUGGESTIONS_PATH}", content=b"{not json")).status_code == 400


async def test_an_unreachable_action_server_suggests_nothing() -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        assert await SuggestionClient(http, f"http://127.0.0.1:{free_port()}").suggest("conv-1", "hello", "en") == []


async def test_with_a_token_only_calls_carrying_it_are_served(sample_service: KnowledgeService) -> None:
    async with serving(sample_service, token="s3cret") as url, httpx.AsyncClient(timeout=60) as http:
        ticket = {"next_action": "action_file_ticket", "tracker": {"sender_id": "someone-else"}, "domain": {}}
        assert (await http.post(f"{url}/webhook", json=ticket)).status_code == 401
        assert (await http.post(f"{url}/webhook", json=ticket, params={"token": "wrong"})).status_code == 401
        assert (await http.post(f"{url}{SUGGESTIONS_PATH}", json={"text": "reset my password"})).status_code == 401
        assert (await http.get(f"{url}/health")).status_code == 200  # health checks need no secret
        client = SuggestionClient(http, url, token="s3cret")
        assert (await client.suggest("conv-1", "how do I reset my password?", "en"))[0]["article"] == "lumen/reset-password-en"
