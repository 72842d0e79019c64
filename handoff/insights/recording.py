"""The conversation events the handoff records, and the web app's counters. The ownership scripts record
their own transitions (claim, agent reply and first response, close, hand back, giving up: handoff/lua.py's
`insight`) and a bot turn's replies (from bot_turn_events), in the step that makes the change; a
conversation's start goes in the transaction that creates it; feedback and ratings right after they are stored."""
from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from handoff.insights import metrics
from handoff.insights.events import EventKind, EventRecorder, event_fields
from knowledge.contract import BotReply

log = logging.getLogger(__name__)


class ConversationInsights:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.recorder = EventRecorder(redis)

    async def started(self, pipe: Pipeline, conversation_id: str) -> None:
        """Queued on the pipeline (a transaction) that creates the conversation."""
        await self.recorder.record_in(pipe, EventKind.CONVERSATION_STARTED, conversation_id)

    def bot_turn_events(self, conversation_id: str, replies: list[BotReply], question: str,
                        handover: dict[str, Any] | None, at_ms: int) -> list[list[str]]:
        """The events of a bot turn, as flat field/value lists: lua.BOT_TURN adds them to the outbox in the
        step that stores the replies (one per reply; `handover`: reason, lang, topic, when the turn queues).
        Never raises: a reply the insights cannot read is still given, its events counted as failures."""
        try:
            return self._bot_turn_events(conversation_id, replies, question, handover, at_ms)
        except Exception as error:
            metrics.RECORD_FAILURES.inc(len(replies) + (handover is not None))
            log.warning("insights: the events of a bot turn could not be made: %s", error)
            return []

    def _bot_turn_events(self, conversation_id: str, replies: list[BotReply], question: str,
                         handover: dict[str, Any] | None, at_ms: int) -> list[list[str]]:
        entries = [event_fields(
            EventKind.BOT_REPLY, conversation_id, reply.get("lang"), at_ms=at_ms, outcome=reply.get("outcome") or "text",
            reason=reply.get("reason"), article=reply.get("article"), confidence=reply.get("confidence"),
            topic=reply.get("topic"), question=question or None, answer=reply.get("text")) for reply in replies]
        if handover is not None:
            entries.append(event_fields(EventKind.HANDOVER, conversation_id, handover.get("lang"), at_ms=at_ms,
                                        reason=handover["reason"], topic=handover.get("topic")))
        return [[item for pair in entry.items() for item in pair] for entry in entries]

    @staticmethod
    def count_bot_turn(replies: list[BotReply], handover: dict[str, Any] | None) -> None:
        """The replies the customer got (one count each) and the hand-over, if the turn queued the chat."""
        for reply in replies:
            outcome, reason, lang = reply.get("outcome"), reply.get("reason"), reply.get("lang")
            metrics.BOT_REPLIES.labels(metrics.label(outcome), metrics.label(reason), metrics.label(lang)).inc()
        if handover is not None:
            metrics.HANDOFFS.labels(metrics.label(handover["reason"])).inc()

    async def feedback(self, pipe: Pipeline, conversation_id: str, message_id: str, helpful: bool,
                       article: str | None, lang: str | None) -> None:
        """Queued on the transaction that stores the feedback beside the conversation."""
        await self.recorder.record_in(pipe, EventKind.FEEDBACK, conversation_id, lang, message_id=message_id,
                                      helpful=helpful, article=article or None)

    async def rating(self, conversation_id: str, rating: int, lang: str | None) -> None:
        await self.recorder.record(EventKind.RATING, conversation_id, lang, rating=rating)
