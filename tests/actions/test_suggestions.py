"""Answers suggested to advisors: the action the web app calls through the action server's webhook."""
from __future__ import annotations

import pytest
from rasa_sdk.executor import ActionExecutor

from actions.suggestions import TEXT_LIMIT, ActionSuggestAnswers, trimmed
from knowledge.answering.service import KnowledgeService
from tests.actions.trackers import run, tracker

pytestmark = pytest.mark.anyio


async def test_the_three_best_articles_are_suggested_with_their_answer(sample_service: KnowledgeService) -> None:
    messages, events = await run(ActionSuggestAnswers(sample_service), tracker("where is my parcel? I want to track my order", language="en"))
    assert events == []
    [message] = messages
    suggestions = message["custom"]["suggestions"]
    assert len(suggestions) == 3
    assert suggestions[0]["article"] == "lumen/track-order-en"
    assert suggestions[0]["title"] == sample_service.engine().snapshot.articles["lumen/track-order-en"].title
    confidences = [s["confidence"] for s in suggestions]
    assert confidences == sorted(confidences, reverse=True) and all(0 <= c <= 1 for c in confidences)
    assert all(s["article"].endswith("-en") and 0 < len(s["text"]) <= TEXT_LIMIT + 1 for s in suggestions)
    assert suggestions[0]["sources"][0]["article"] == "lumen/track-order-en"


async def test_suggestions_include_articles_the_bot_would_not_answer_with(sample_service: KnowledgeService) -> None:
    question = "le prélèvement a lieu quel jour du mois ?"
    assert sample_service.decide(question).outcome.value == "decline"
    messages, _ = await run(ActionSuggestAnswers(sample_service), tracker(question, language="fr"))
    suggestions = messages[0]["custom"]["suggestions"]
    assert len(suggestions) == 3 and all(s["article"].endswith("-fr") for s in suggestions)
    assert "lumen/payment-methods-fr" in [s["article"] for s in suggestions]


async def test_an_empty_message_gets_no_suggestion(sample_service: KnowledgeService) -> None:
    messages, _ = await run(ActionSuggestAnswers(sample_service), tracker("  "))
    assert messages[0]["custom"] == {"suggestions": []}


async def test_the_webhook_request_the_web_app_sends_is_answered(sample_service: KnowledgeService) -> None:
    executor = ActionExecutor()
    executor.register_action(ActionSuggestAnswers(sample_service))
    response = await executor.run({
        "next_action": "action_suggest_answers", "sender_id": "conv-1",
        "tracker": {"sender_id": "conv-1", "slots": {"language": "en"},
                    "latest_message": {"text": "how do I reset my password?", "intent": {}, "entities": []},
                    "events": [], "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None},
        "domain": {},
    })
    assert response is not None and response.events == []
    [reply] = response.responses
    assert reply["custom"]["suggestions"][0]["article"] == "lumen/reset-password-en"


def test_long_answers_are_cut_at_a_word() -> None:
    text = "word " * 200
    cut = trimmed(text, 50)
    assert cut.endswith("…") and len(cut) <= 51 and not cut[:-1].endswith(" ")
    assert trimmed("short answer") == "short answer"
