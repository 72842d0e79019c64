"""Answering from the knowledge base, and handing over when the customer asks for it."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.collaborators import knowledge_service
from knowledge import replies
from knowledge.engine import Decision, Outcome
from knowledge.generation import generate_answer
from knowledge.service import KnowledgeService
from knowledge.triggers import TRIGGER_INTENTS, EscalationReason

LANGUAGE_SLOT = "language"
# Small-talk intents and their replies, used when the knowledge base has no confident answer.
SMALLTALK_RESPONSES = {
    "greet": "utter_greet",
    "goodbye": "utter_goodbye",
    "thank": "utter_you_are_welcome",
    "affirm": "utter_anything_else",
    "deny": "utter_anything_else",
}


def send(dispatcher: CollectingDispatcher, decision: Decision, text: str) -> None:
    """One reply: the text for any client, the full payload for clients that classify replies."""
    dispatcher.utter_message(text=text, json_message={**decision.payload(), "text": text})


class _KnowledgeAction(Action, ABC):
    """rasa-sdk builds actions without arguments; tests hand in their own knowledge service.

    Abstract, so that rasa-sdk's package scan does not register it as an action.
    """

    def __init__(self, service: KnowledgeService | None = None) -> None:
        self._service = service

    @abstractmethod
    def name(self) -> str: ...

    @property
    def service(self) -> KnowledgeService:
        return self._service or knowledge_service()


class ActionAnswerQuestion(_KnowledgeAction):
    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        service = self.service
        question = tracker.latest_message.get("text") or ""
        engine = service.engine()
        lang = engine.language_of(question, fallback=tracker.get_slot(LANGUAGE_SLOT))
        decision = engine.decide(question, lang)
        smalltalk = SMALLTALK_RESPONSES.get(str((tracker.latest_message.get("intent") or {}).get("name")))
        # Rasa's intent outranks the knowledge base's own request/complaint matcher here;
        # a confident answer or a sensitive topic still wins over small talk.
        if smalltalk and not (decision.outcome is Outcome.ANSWER or decision.reason == EscalationReason.SENSITIVE.value):
            dispatcher.utter_message(response=smalltalk)
            return [SlotSet(LANGUAGE_SLOT, decision.lang)]
        text = decision.text
        if decision.outcome is Outcome.ANSWER and decision.article:
            text = generate_answer(question, engine.snapshot.articles[decision.article], lang, service.settings)
        send(dispatcher, decision, text)
        return [SlotSet(LANGUAGE_SLOT, decision.lang)]


class ActionHandOver(_KnowledgeAction):
    """The customer asked for a person or complained: hand over at once, whatever the topic."""

    def name(self) -> str:
        return "action_hand_over"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        service = self.service
        intent = tracker.latest_message.get("intent") or {}
        reason = TRIGGER_INTENTS.get(str(intent.get("name")))
        question = tracker.latest_message.get("text") or ""
        engine = service.engine()
        lang = engine.language_of(question, fallback=tracker.get_slot(LANGUAGE_SLOT))
        if reason is None:  # routed here without a trigger intent: let the knowledge base decide
            decision = engine.decide(question, lang)
        else:
            decision = Decision(
                Outcome.ESCALATE, replies.escalate_text(reason, lang), lang,
                confidence=float(intent.get("confidence") or 0.0), reason=reason.value,
            )
        send(dispatcher, decision, decision.text)
        return [SlotSet(LANGUAGE_SLOT, decision.lang)]
