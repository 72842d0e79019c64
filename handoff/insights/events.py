"""What happened, as events: each goes first to a Redis stream (the outbox, keys.INSIGHTS_EVENTS), which the
writer (writer.py) drains into the SQL store. Recording never breaks or holds up a reply: a failure is
logged and counted (chat_insights_record_failures_total), never raised."""
from __future__ import annotations

import logging
import time
from enum import Enum
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from handoff import lua
from handoff.insights import metrics
from knowledge import redis_keys as keys

log = logging.getLogger(__name__)

# Unwritten events the outbox holds at most (the SQL store down for a long time); beyond, new ones are lost
# and counted (keys.INSIGHTS_LOST).
OUTBOX_BOUND = 1_000_000
DEFAULT_CHANNEL = "widget"


class EventKind(str, Enum):
    CONVERSATION_STARTED = "conversation_started"
    BOT_REPLY = "bot_reply"  # one per bot reply the customer got: outcome, reason, article, confidence, topic...
    HANDOVER = "handover"  # the chat entered the agents' queue: reason, topic
    QUEUE_WAIT = "queue_wait"  # seconds waited, when claimed or given up ("abandoned": 1)
    CLAIMED = "claimed"  # agent
    AGENT_REPLY = "agent_reply"  # agent, used_suggestion
    FIRST_RESPONSE = "first_response"  # seconds from the hand-over to the agent's first reply
    HANDED_BACK = "handed_back"  # agent, seconds handled
    CLOSED = "closed"  # agent, resolution, seconds handled
    ABANDONED = "abandoned"  # nobody took the chat in time: it went back to the bot
    TICKET_OPENED = "ticket_opened"  # ticket, reason
    TICKET_CLOSED = "ticket_closed"  # ticket
    FEEDBACK = "feedback"  # message_id, helpful, article
    RATING = "rating"  # rating 1-5


# The fields an event may carry besides kind, at, conversation_id, lang and channel (the columns of store.py).
FIELDS = frozenset({
    "outcome", "reason", "article", "confidence", "topic", "question", "answer", "agent", "used_suggestion",
    "seconds", "resolution", "message_id", "helpful", "rating", "ticket", "abandoned",
})


def _encoded(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def event_fields(kind: EventKind, conversation_id: str, lang: str | None = None, channel: str = DEFAULT_CHANNEL,
                 at_ms: int | None = None, **fields: Any) -> dict[str, str]:
    """The stream entry of one event: None values left out, booleans as "1"/"0"."""
    unknown = set(fields) - FIELDS
    if unknown:
        raise ValueError(f"unknown event fields: {', '.join(sorted(unknown))}")
    entry = {"kind": EventKind(kind).value, "at": str(at_ms if at_ms is not None else int(time.time() * 1000)),
             "conversation_id": conversation_id, "lang": lang or "", "channel": channel or DEFAULT_CHANNEL}
    entry.update({name: _encoded(value) for name, value in fields.items() if value is not None})
    return entry


class EventRecorder:
    """Adds events to the outbox, in one atomic step each (lua.RECORD_EVENT: bounded, losses counted)."""

    def __init__(self, redis: Redis, bound: int = OUTBOX_BOUND) -> None:
        self.redis = redis
        self.bound = bound
        self._script = redis.register_script(lua.RECORD_EVENT)

    async def record(self, kind: EventKind, conversation_id: str, lang: str | None = None,
                     channel: str = DEFAULT_CHANNEL, **fields: Any) -> str | None:
        """The event's outbox id, or None when it could not be recorded (logged and counted, never raised)."""
        try:
            entry = event_fields(kind, conversation_id, lang, channel, **fields)
            pairs = [item for pair in entry.items() for item in pair]
            added = await self._script(keys=[keys.INSIGHTS_EVENTS, keys.INSIGHTS_LOST], args=[self.bound, *pairs])
        except Exception as error:  # Redis down or slow: the reply matters more than its record
            metrics.RECORD_FAILURES.inc()
            log.warning("insights: could not record a %s event: %s", getattr(kind, "value", kind), error)
            return None
        return str(added) if added else None


    async def record_in(self, pipe: Pipeline, kind: EventKind, conversation_id: str, lang: str | None = None,
                  channel: str = DEFAULT_CHANNEL, **fields: Any) -> None:
        """The event queued on `pipe`: recorded in the same transaction as the pipeline's other commands."""
        entry = event_fields(kind, conversation_id, lang, channel, **fields)
        await self._script(keys=[keys.INSIGHTS_EVENTS, keys.INSIGHTS_LOST],
                           args=[self.bound, *(item for pair in entry.items() for item in pair)], client=pipe)


async def record_event(redis: Redis, kind: EventKind, conversation_id: str, lang: str | None = None,
                       channel: str = DEFAULT_CHANNEL, **fields: Any) -> str | None:
    """One event, for a caller without a recorder of its own (the action server, the CLI)."""
    return await EventRecorder(redis).record(kind, conversation_id, lang, channel, **fields)
