"""Custom actions with in-memory trackers, over a real Chroma index of the sample help centre."""
from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answering import ActionAnswerQuestion, ActionHandOver
from knowledge.service import KnowledgeService


def _tracker(text: str, intent: str = "ask_question", confidence: float = 0.9, language: str | None = None) -> Tracker:
    return Tracker(
        sender_id="test",
        slots={"language": language},
        latest_message={"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def _run(action: Any, tracker: Tracker) -> tuple[list[dict[str, Any]], list[Any]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def test_answer_action_replies_with_text_and_payload(sample_service: KnowledgeService) -> None:
    messages, events = _run(ActionAnswerQuestion(sample_service), _tracker("where is my parcel? I want to track my order"))
    assert len(messages) == 1
    message = messages[0]
    assert message["text"] == message["custom"]["text"]
    assert message["custom"]["outcome"] == "answer"
    assert message["custom"]["article"] == "lumen/track-order-en"
    assert SlotSet("language", "en") in events


def test_answer_action_keeps_the_conversation_language_for_ambiguous_text(sample_service: KnowledgeService) -> None:
    messages, events = _run(ActionAnswerQuestion(sample_service), _tracker("ok", language="fr"))
    assert messages[0]["custom"]["lang"] == "fr"
    assert SlotSet("language", "fr") in events


def test_hand_over_action_escalates_with_the_intent_reason(sample_service: KnowledgeService) -> None:
    messages, _ = _run(ActionHandOver(sample_service), _tracker("je veux un humain", intent="request_human", language="fr"))
    custom = messages[0]["custom"]
    assert (custom["outcome"], custom["reason"], custom["lang"]) == ("escalate", "customer_request", "fr")
    assert "conseiller" in messages[0]["text"]
    messages, _ = _run(ActionHandOver(sample_service), _tracker("this is unacceptable", intent="complaint"))
    assert messages[0]["custom"]["reason"] == "complaint"


def test_small_talk_gets_its_response_unless_the_knowledge_base_is_sure(sample_service: KnowledgeService) -> None:
    for text, intent, response in (("hello there", "greet", "utter_greet"), ("merci, bonne journée", "thank", "utter_you_are_welcome")):
        messages, _ = _run(ActionAnswerQuestion(sample_service), _tracker(text, intent=intent))
        assert [m.get("response") for m in messages] == [response]
    messages, _ = _run(ActionAnswerQuestion(sample_service), _tracker("thanks, but someone stole my phone", intent="thank"))
    assert (messages[0]["custom"]["outcome"], messages[0]["custom"]["reason"]) == ("escalate", "sensitive")
    # NLU took a real question for a thank-you: the knowledge base still answers it.
    messages, _ = _run(ActionAnswerQuestion(sample_service), _tracker("how do I activate my eSIM?", intent="thank"))
    assert messages[0]["custom"]["article"] == "lumen/activate-sim-esim-en"
