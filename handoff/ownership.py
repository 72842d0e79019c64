"""The ownership model: who answers a conversation, and why it is waiting for a person."""
from __future__ import annotations

from enum import Enum

from knowledge.contract import EscalationReason


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
PRIORITY_OF_REASON: dict[str, int] = {
    EscalationReason.SENSITIVE: 0,  # fraud, a lost card: money or safety at stake
    EscalationReason.COMPLAINT: 1,
    EscalationReason.NOT_HELPFUL: 2,
    EscalationReason.REPEATED_FAILURE: 2,
    EscalationReason.CUSTOMER_REQUEST: 3,
    EscalationReason.LOW_CONFIDENCE: 3,
}
DEFAULT_PRIORITY = 3
# A queue score is the priority, then the time queued (ms): ms timestamps stay below 1e13.
_PRIORITY_STEP = 10**13


def priority_of(reason: str | None) -> int:
    return PRIORITY_OF_REASON.get(reason or "", DEFAULT_PRIORITY)


def queue_score(priority: int, queued_at_ms: int) -> int:
    return priority * _PRIORITY_STEP + queued_at_ms


def split_queue_score(score: float) -> tuple[int, int]:
    """(priority, queued at ms) of a queue score."""
    priority, queued_at_ms = divmod(int(score), _PRIORITY_STEP)
    return priority, queued_at_ms


class TransitionConflict(Exception):
    """The conversation is not in the state the transition starts from (someone else acted first)."""

    def __init__(self, conversation_id: str, current: str) -> None:
        owner, _, agent = current.partition(":")
        self.owner = owner or None
        self.agent = agent or None
        super().__init__(f"conversation {conversation_id} is {owner or 'unknown'}" + (f" with {agent}" if agent else ""))


class UnknownConversation(KeyError):
    pass


class ClientIdReused(Exception):
    """A customer message carries the client id of the conversation's last message with another text:
    not a retry of that message, and not stored as a new one."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        super().__init__(f"client_id {client_id!r} was already used for another message in this conversation")
