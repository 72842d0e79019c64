"""The conversation events the handoff records, each right after the state change it reports (the
ownership scripts have committed it: a transition that did not happen records nothing), and the web app's
counters. Reading what an event needs (waits, handling times) costs one HMGET of the conversation."""
from __future__ import annotations

import logging
import time
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from handoff.insights import metrics
from handoff.insights.events import EventKind, EventRecorder, event_fields
from knowledge import redis_keys as keys
from knowledge.contract import BotReply

log = logging.getLogger(__name__)


def _seconds_since(start_ms: str | None, now_ms: int) -> float | None:
    return round((now_ms - int(start_ms)) / 1000, 3) if start_ms else None


class ConversationInsights:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.recorder = EventRecorder(redis)

    async def _conversation(self, conversation_id: str, *names: str) -> dict[str, str | None]:
        try:
            values = await self.redis.hmget(keys.conversation(conversation_id), list(names))
        except Exception:  # recording never breaks the turn: the event goes without these fields
            values = [None] * len(names)
        return dict(zip(names, values))

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

    async def claimed(self, conversation_id: str, agent: str) -> None:
        state = await self._conversation(conversation_id, "lang", "queued_at", "claimed_at")
        now = int(state["claimed_at"] or time.time() * 1000)
        await self.recorder.record(EventKind.CLAIMED, conversation_id, state["lang"], agent=agent)
        await self.recorder.record(EventKind.QUEUE_WAIT, conversation_id, state["lang"], abandoned=False,
                                   seconds=_seconds_since(state["queued_at"], now))

    async def agent_replied(self, conversation_id: str, agent: str, used_suggestion: bool) -> None:
        """The agent's reply; the first one since the hand-over also records the first response time."""
        state = await self._conversation(conversation_id, "lang", "queued_at", "handoff_from")
        await self.recorder.record(EventKind.AGENT_REPLY, conversation_id, state["lang"], agent=agent,
                                   used_suggestion=used_suggestion)
        if not state["handoff_from"]:
            return
        try:  # one field per hand-over: only the first reply to it sets it
            first = await self.redis.hsetnx(keys.conversation(conversation_id), f"answered:{state['handoff_from']}", 1)
        except Exception:
            return
        if first:
            await self.recorder.record(EventKind.FIRST_RESPONSE, conversation_id, state["lang"], agent=agent,
                                       seconds=_seconds_since(state["queued_at"], int(time.time() * 1000)))

    async def released(self, conversation_id: str, agent: str, closed: bool, resolution: str) -> None:
        state = await self._conversation(conversation_id, "lang", "claimed_at", "released_at")
        now = int(state["released_at"] or time.time() * 1000)
        kind = EventKind.CLOSED if closed else EventKind.HANDED_BACK
        await self.recorder.record(kind, conversation_id, state["lang"], agent=agent,
                                   resolution=resolution if closed else None,
                                   seconds=_seconds_since(state["claimed_at"], now))

    async def gave_up_waiting(self, conversation_id: str, reason: str) -> None:
        state = await self._conversation(conversation_id, "lang", "queued_at")
        seconds = _seconds_since(state["queued_at"], int(time.time() * 1000))
        await self.recorder.record(EventKind.ABANDONED, conversation_id, state["lang"], reason=reason or None,
                                   seconds=seconds)
        await self.recorder.record(EventKind.QUEUE_WAIT, conversation_id, state["lang"], abandoned=True,
                                   seconds=seconds)

    async def feedback(self, conversation_id: str, message_id: str, helpful: bool, article: str | None,
                       lang: str | None) -> None:
        await self.recorder.record(EventKind.FEEDBACK, conversation_id, lang, message_id=message_id,
                                   helpful=helpful, article=article or None)

    async def rating(self, conversation_id: str, rating: int, lang: str | None) -> None:
        await self.recorder.record(EventKind.RATING, conversation_id, lang, rating=rating)
