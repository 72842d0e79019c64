"""The reply contract: what a bot reply says, produced by the actions and read by the web app.

Outcomes, reasons and routes are str Enums; a decision becomes the custom payload of a bot
message (`Decision.payload`), and `group_rasa_messages` turns Rasa's REST channel output
back into one `BotReply` per bot utterance.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12


class Outcome(str, Enum):
    ANSWER = "answer"
    ESCALATE = "escalate"
    DECLINE = "decline"


class DeclineReason(str, Enum):
    OUT_OF_SCOPE = "out_of_scope"  # nothing in the knowledge base is close
    LOW_CONFIDENCE = "low_confidence"  # something is close, not close enough to answer
    EMPTY_QUESTION = "empty_question"
    TOO_LONG = "too_long"
    EMPTY_KNOWLEDGE_BASE = "empty_knowledge_base"


@dataclass(frozen=True)
class Source:
    article: str
    title: str
    score: float


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    text: str
    lang: str
    article: str | None = None
    confidence: float | None = None
    reason: str | None = None
    sources: list[Source] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        """The machine-readable part of a bot reply."""
        return {
            "outcome": self.outcome.value,
            "article": self.article,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "reason": self.reason,
            "lang": self.lang,
            "sources": [{"article": s.article, "title": s.title, "score": round(s.score, 4)} for s in self.sources],
        }


class EscalationReason(str, Enum):
    SENSITIVE = "sensitive"  # a `handoff: true` article or a listed sensitive topic
    CUSTOMER_REQUEST = "customer_request"
    COMPLAINT = "complaint"
    NOT_HELPFUL = "not_helpful"  # the customer says an answer did not help
    LOW_CONFIDENCE = "low_confidence"  # the customer accepted the advisor offered after an unsure decline
    REPEATED_FAILURE = "repeated_failure"  # a second unsure decline in a row


class Route(str, Enum):
    AGENT = "agent"  # an advisor taking the customer's language is online: the web app queues the chat
    TICKET = "ticket"  # none is: the bot asks for an email or phone number (contact_form)


class BotReply(TypedDict, total=False):
    text: str
    outcome: str
    article: str | None
    confidence: float | None
    reason: str | None
    lang: str
    sources: list[dict[str, Any]]
    route: str | None  # on an escalation: "agent" (queue) or "ticket" (no agent online: the bot takes contact details)
    topic: str | None  # the sensitive topic (knowledge/sensitive_topics.yml) that triggered an escalation
    offer: str | None  # "advisor" when the bot offers a person (low confidence)
    ticket: str | None  # outcome "ticket": the ticket number filed
    buttons: list[dict[str, str]]


def group_rasa_messages(messages: list[dict[str, Any]]) -> list[BotReply]:
    """Rasa sends an utterance as its text (split on blank lines) then its custom payload."""
    replies: list[BotReply] = []
    pending_text: list[str] = []
    pending_buttons: list[dict[str, str]] = []
    for message in messages:
        if "text" in message:
            pending_text.append(str(message["text"]))
        pending_buttons += message.get("buttons") or []
        if isinstance(message.get("custom"), dict):
            custom = dict(message["custom"])
            text = custom.pop("text", None) or "\n\n".join(pending_text)
            reply: BotReply = {**custom, "text": text}  # type: ignore[typeddict-item]
            if pending_buttons:
                reply["buttons"] = pending_buttons
            replies.append(reply)
            pending_text, pending_buttons = [], []
    if pending_text:
        reply = {"text": "\n\n".join(pending_text)}
        if pending_buttons:
            reply["buttons"] = pending_buttons
        replies.append(reply)
    return replies
