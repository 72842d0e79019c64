"""What the actions read of the conversation: the latest intent, the language, why it was
handed over, and the bot's last classified reply."""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions import slots
from knowledge.answering.followups import TurnContext
from knowledge.contract import EscalationReason, MalformedReply, Reply, parse_reply

logger = logging.getLogger(__name__)

# The language of a conversation whose `language` slot was never set.
DEFAULT_LANGUAGE = "en"


def intent_of(tracker: Tracker) -> dict[str, Any]:
    return tracker.latest_message.get("intent") or {}


def conversation_language(tracker: Tracker) -> str:
    return str(tracker.get_slot(slots.LANGUAGE) or DEFAULT_LANGUAGE)


def handover_reason(tracker: Tracker) -> EscalationReason:
    """Why the conversation was handed over, as recorded at the hand-over; UNKNOWN if never recorded."""
    recorded = tracker.get_slot(slots.HANDOVER_REASON)
    if not recorded:
        return EscalationReason.UNKNOWN
    try:
        return EscalationReason(recorded)
    except ValueError:
        logger.warning("hand-over reason %r is outside the reply contract: taken as unknown", recorded)
        return EscalationReason.UNKNOWN


def last_bot_reply(tracker: Tracker) -> Reply | None:
    """The bot's last classified reply (one whose payload has an outcome), if any."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            custom = (event.get("data") or {}).get("custom")
            if isinstance(custom, dict) and custom.get("outcome"):
                try:
                    return parse_reply(custom)
                except MalformedReply as error:
                    logger.warning("the bot's last reply is outside the reply contract (%s)", error)
                    return None
    return None


def turn_context(tracker: Tracker) -> TurnContext | None:
    """The last question that stood on its own, which a follow-up is read with."""
    question = tracker.get_slot(slots.CONTEXT_QUESTION)
    article = tracker.get_slot(slots.CONTEXT_ARTICLE)
    answered = bool(tracker.get_slot(slots.CONTEXT_ANSWERED))
    return TurnContext(str(question), str(article) if article else None, answered) if question else None


def remember(tracker: Tracker, context: TurnContext | None) -> list[SlotSet]:
    """The slot events that keep `context` for the next turn."""
    return slots.changed(tracker, {
        slots.CONTEXT_QUESTION: context.question if context else None,
        slots.CONTEXT_ARTICLE: context.article if context else None,
        slots.CONTEXT_ANSWERED: context.answered if context else None,
    })


def recent_bot_texts(tracker: Tracker, count: int = 2) -> list[str]:
    """The texts of the bot's last `count` messages, newest first."""
    texts: list[str] = []
    for event in reversed(tracker.events):
        if event.get("event") == "bot" and event.get("text"):
            texts.append(str(event["text"]))
            if len(texts) == count:
                break
    return texts
