"""What the bot could not answer, recorded for the content team (knowledge/unanswered/events.py).

Declined questions (out of scope, unsure), escalations with their reason, and answers the
customer marked as not helpful. The question recorded is the one the customer needed
answered: for "I want a person" or a complaint, the last real question before it; for an
unhelpful answer, the question it answered. Recording never holds up or breaks a reply.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker
from redis.asyncio import Redis
from redis.exceptions import RedisError

from knowledge.contract import Decision, DeclineReason, Outcome
from knowledge.answering.triggers import TRIGGER_INTENTS
from knowledge.contract import EscalationReason
from knowledge.unanswered.events import DEFAULT_RETENTION_S, UnansweredOutcome, record_unanswered_async

logger = logging.getLogger(__name__)

RECORD_TIMEOUT_S = 2.0
RECORDED_DECLINES = {DeclineReason.OUT_OF_SCOPE.value, DeclineReason.LOW_CONFIDENCE.value}
# Escalations whose own message is not the question: the customer's earlier one is recorded.
ABOUT_EARLIER_QUESTION = {
    EscalationReason.CUSTOMER_REQUEST.value, EscalationReason.COMPLAINT.value, EscalationReason.LOW_CONFIDENCE.value,
}
# Messages that are no question about the help centre.
NOT_QUESTION_INTENTS = {
    *TRIGGER_INTENTS, "answer_not_helpful", "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge",
    "EXTERNAL_no_agent",
}


@dataclass(frozen=True)
class Unanswered:
    question: str
    outcome: UnansweredOutcome
    article: str | None = None


def _user_messages(tracker: Tracker) -> list[dict[str, Any]]:
    """The customer's messages before the latest one, oldest first."""
    users = [e for e in tracker.events if e.get("event") == "user"]
    latest = tracker.latest_message.get("text")
    if users and users[-1].get("text") == latest:
        users = users[:-1]
    return users


def _is_question(event: dict[str, Any]) -> bool:
    text = str(event.get("text") or "").strip()
    intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
    return bool(text) and not text.startswith("/") and intent not in NOT_QUESTION_INTENTS


def earlier_question(tracker: Tracker) -> str | None:
    """The customer's last real question before the latest message, if any."""
    for event in reversed(_user_messages(tracker)):
        if _is_question(event):
            return str(event["text"])
    return None


def answered_question(tracker: Tracker) -> tuple[str, str] | None:
    """(question, article) of the bot's last answer from an article, if any."""
    events = list(tracker.events)
    for position in range(len(events) - 1, -1, -1):
        custom = (events[position].get("data") or {}).get("custom") if events[position].get("event") == "bot" else None
        if isinstance(custom, dict) and custom.get("outcome") == Outcome.ANSWER.value and custom.get("article"):
            for event in reversed(events[:position]):
                if event.get("event") == "user" and _is_question(event):
                    return str(event["text"]), str(custom["article"])
            return None
    return None


def unanswered_of(tracker: Tracker, reply: Decision) -> Unanswered | None:
    """What of this reply the content team should see, if anything."""
    latest = str(tracker.latest_message.get("text") or "")
    if reply.outcome is Outcome.DECLINE:
        return Unanswered(latest, UnansweredOutcome.DECLINE) if reply.reason in RECORDED_DECLINES else None
    # A sensitive topic (a stolen phone, fraud) is handed over by design: the bot did what it should.
    if reply.outcome is not Outcome.ESCALATE or reply.reason == EscalationReason.SENSITIVE.value:
        return None
    if reply.reason == EscalationReason.NOT_HELPFUL.value:
        answered = answered_question(tracker)
        return Unanswered(answered[0], UnansweredOutcome.UNHELPFUL, answered[1]) if answered else None
    if reply.reason in ABOUT_EARLIER_QUESTION:
        question = earlier_question(tracker)
        return Unanswered(question, UnansweredOutcome.ESCALATE) if question else None
    return Unanswered(latest, UnansweredOutcome.ESCALATE)


async def record_reply(redis: Redis, tracker: Tracker, reply: Decision, retention_s: int = DEFAULT_RETENTION_S) -> None:
    """Records the reply if the content team should see it; a Redis problem is logged, never raised."""
    unanswered = unanswered_of(tracker, reply)
    if unanswered is None:
        return
    try:
        await asyncio.wait_for(
            record_unanswered_async(
                redis, unanswered.question, reply.lang, unanswered.outcome, reply.reason, tracker.sender_id,
                article=unanswered.article, retention_s=retention_s,
            ),
            RECORD_TIMEOUT_S,
        )
    except (RedisError, OSError, asyncio.TimeoutError) as error:
        logger.warning("could not record an unanswered question (%s: %s); the reply goes out anyway",
                       type(error).__name__, error)
