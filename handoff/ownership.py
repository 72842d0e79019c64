"""The ownership model: who answers a conversation, and why it is waiting for a person."""
from __future__ import annotations

from enum import Enum


class Owner(str, Enum):
    BOT = "bot"
    QUEUED = "queued"
    AGENT = "agent"
    CLOSED = "closed"


class Resolution(str, Enum):
    RESOLVED = "resolved"
    NOT_RESOLVED = "not_resolved"
    CALLBACK_PROMISED = "callback_promised"
    DUPLICATE = "duplicate"
    ABUSIVE = "abusive"
    NO_REPLY = "no_reply"


# Lower is served first; equal priorities are served in order of waiting time.
PRIORITY_OF_REASON = {
    "sensitive": 0,  # fraud, a lost card: money or safety at stake
    "complaint": 1,
    "not_helpful": 2,
    "repeated_failure": 2,
    "customer_request": 3,
    "low_confidence": 3,
}
DEFAULT_PRIORITY = 3


def priority_of(reason: str | None) -> int:
    return PRIORITY_OF_REASON.get(reason or "", DEFAULT_PRIORITY)


def queue_score(priority: int, queued_at_ms: int) -> float:
    return priority * 1e13 + queued_at_ms


class TransitionConflict(Exception):
    """The conversation is not in the state the transition starts from (someone else acted first)."""

    def __init__(self, conversation_id: str, current: str) -> None:
        owner, _, agent = current.partition(":")
        self.owner = owner or None
        self.agent = agent or None
        super().__init__(f"conversation {conversation_id} is {owner or 'unknown'}" + (f" with {agent}" if agent else ""))


class UnknownConversation(KeyError):
    pass
