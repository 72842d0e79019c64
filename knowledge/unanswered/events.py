"""The Redis stream of what customers asked that the bot could not answer: recording and reading.

Declined and escalated questions, answers marked unhelpful, and replies agents wrote and
sent as suggested articles are appended to the stream `content:unanswered`; the content
team reads them back, newest first, minus those already handled (clustering.py groups them).
An event's fields are built and parsed here only; the sync and asyncio clients only send them.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from redis import Redis
from redis.asyncio import Redis as AsyncRedis

from knowledge import redis_keys
from knowledge.redis_client import connect_sync
from knowledge.settings import KnowledgeSettings

STREAM = redis_keys.UNANSWERED
HANDLED = redis_keys.UNANSWERED_HANDLED
MAX_EVENTS = 100_000  # the stream is trimmed (approximately) to the newest ones
MAX_QUESTION_CHARS = 2000
# Clustering is quadratic in distinct questions: only the newest are read for it.
CLUSTER_LIMIT = 3000
# The default of KnowledgeSettings.unanswered_retention_s: events older than this are trimmed on append.
DEFAULT_RETENTION_S = 90 * 24 * 3600


def oldest_kept_id(retention_s: int) -> str:
    """The stream id below which events are past their retention."""
    return f"{int(time.time() * 1000) - retention_s * 1000}-0"


class UnansweredOutcome(str, Enum):
    DECLINE = "decline"  # the bot said it could not answer
    ESCALATE = "escalate"  # the bot handed over to a person
    UNHELPFUL = "unhelpful"  # the bot answered; the customer said it did not help
    SUGGESTED = "suggested"  # an agent sent the reply they wrote as a suggested article


def _text(value: bytes | str | None) -> str | None:
    if value is None:
        return None
    text = value.decode("utf-8") if isinstance(value, bytes) else str(value)
    return text or None


@dataclass(frozen=True)
class UnansweredQuestion:
    """What is recorded: a question the bot could not answer, or an agent's suggested reply to one."""

    question: str
    lang: str
    outcome: UnansweredOutcome | str
    reason: str | None = None
    conversation_id: str | None = None
    article: str | None = None  # the article an unhelpful answer came from
    answer: str | None = None  # an agent's reply, for SUGGESTED
    agent: str | None = None

    def fields(self) -> dict[str, str] | None:
        """The stream fields; None for a blank question (nothing to learn from)."""
        text = " ".join(self.question.split())[:MAX_QUESTION_CHARS]
        if not text:
            return None
        return {
            "question": text,
            "lang": (self.lang or "").strip().lower()[:8] or "und",
            "outcome": UnansweredOutcome(self.outcome).value,
            "reason": self.reason or "",
            "conversation_id": self.conversation_id or "",
            "article": self.article or "",
            "answer": (self.answer or "").strip(),
            "agent": self.agent or "",
        }


@dataclass(frozen=True)
class UnansweredEvent:
    id: str  # the stream entry id: "<milliseconds>-<n>"
    question: str
    lang: str
    outcome: UnansweredOutcome
    reason: str | None = None
    conversation_id: str | None = None
    article: str | None = None  # the article an unhelpful answer came from
    answer: str | None = None  # an agent's reply, for SUGGESTED
    agent: str | None = None

    @property
    def at_ms(self) -> int:
        return int(self.id.split("-")[0])

    @property
    def position(self) -> tuple[int, int]:
        """Its place in the stream: events recorded within the same millisecond keep their order."""
        ms, sequence = self.id.split("-")
        return int(ms), int(sequence)

    @classmethod
    def parse(cls, event_id: str, raw_fields: Mapping[bytes | str, bytes | str]) -> UnansweredEvent:
        fields = {_text(k): _text(v) for k, v in raw_fields.items()}
        return cls(
            id=event_id,
            question=fields.get("question") or "",
            lang=fields.get("lang") or "und",
            outcome=UnansweredOutcome(fields.get("outcome") or "decline"),
            reason=fields.get("reason"),
            conversation_id=fields.get("conversation_id"),
            article=fields.get("article"),
            answer=fields.get("answer"),
            agent=fields.get("agent"),
        )


class UnansweredStore:
    """The stream of unanswered questions in Redis (a client with decoded responses or not)."""

    def __init__(self, redis: Redis, stream: str = STREAM, handled: str = HANDLED, max_events: int = MAX_EVENTS,
                 retention_s: int = DEFAULT_RETENTION_S) -> None:
        self.redis = redis
        self.stream = stream
        self.handled = handled
        self.max_events = max_events
        self.retention_s = retention_s

    @classmethod
    def of(cls, redis_or_store: Redis | UnansweredStore) -> UnansweredStore:
        return redis_or_store if isinstance(redis_or_store, UnansweredStore) else cls(redis_or_store)

    @classmethod
    def from_settings(cls, settings: KnowledgeSettings) -> UnansweredStore:
        return cls(connect_sync(settings.redis_url, decode_responses=True),
                   retention_s=settings.unanswered_retention_s)

    def append(self, entry: UnansweredQuestion) -> str | None:
        """Append one event; returns its id, or None for a blank question. Events past their
        retention go at the same time (they quote customers)."""
        fields = entry.fields()
        if fields is None:
            return None
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self.stream, fields, maxlen=self.max_events, approximate=True)
            pipe.xtrim(self.stream, minid=oldest_kept_id(self.retention_s), approximate=False)
            pipe.expire(self.stream, self.retention_s)
            pipe.expire(self.handled, self.retention_s)
            event_id, *_ = pipe.execute()
        return _text(event_id)

    def events(self, limit: int = CLUSTER_LIMIT, include_handled: bool = False) -> list[UnansweredEvent]:
        """The newest events first."""
        handled = set() if include_handled else {_text(m) for m in self.redis.smembers(self.handled)}
        found: list[UnansweredEvent] = []
        last = "+"
        while len(found) < limit:
            entries = self.redis.xrevrange(self.stream, max=last, min="-", count=500)
            if not entries:
                break
            for raw_id, raw_fields in entries:
                event_id = _text(raw_id) or ""
                if event_id in handled:
                    continue
                found.append(UnansweredEvent.parse(event_id, raw_fields))
                if len(found) >= limit:
                    break
            last = f"({_text(entries[-1][0])}"  # exclusive: older than the oldest read so far
        return found

    def mark_handled(self, event_ids: Iterable[str]) -> int:
        ids = list(event_ids)
        return int(self.redis.sadd(self.handled, *ids)) if ids else 0


def record_unanswered(
    redis_or_store: Redis | UnansweredStore, question: str, lang: str, outcome: UnansweredOutcome | str,
    reason: str | None = None, conversation_id: str | None = None, *, article: str | None = None,
) -> str | None:
    """Record a question the bot declined or escalated, or whose answer was marked unhelpful.

    outcome: "decline", "escalate" or "unhelpful"; reason: the decision's reason (e.g.
    "low_confidence", "customer_request"); article: for "unhelpful", the article answered from.
    Returns the event id, or None when the question is blank.
    """
    entry = UnansweredQuestion(question, lang, outcome, reason, conversation_id, article)
    return UnansweredStore.of(redis_or_store).append(entry)


async def record_unanswered_async(
    redis: AsyncRedis, question: str, lang: str, outcome: UnansweredOutcome | str,
    reason: str | None = None, conversation_id: str | None = None, *, article: str | None = None,
    stream: str = STREAM, handled: str = HANDLED, retention_s: int = DEFAULT_RETENTION_S,
) -> str | None:
    """record_unanswered over an asyncio Redis client (the action server's)."""
    fields = UnansweredQuestion(question, lang, outcome, reason, conversation_id, article).fields()
    if fields is None:
        return None
    async with redis.pipeline(transaction=True) as pipe:
        pipe.xadd(stream, fields, maxlen=MAX_EVENTS, approximate=True)
        pipe.xtrim(stream, minid=oldest_kept_id(retention_s), approximate=False)
        pipe.expire(stream, retention_s)
        pipe.expire(handled, retention_s)
        event_id, *_ = await pipe.execute()
    return _text(event_id)


def suggest_article_from_agent_reply(
    redis_or_store: Redis | UnansweredStore,
    question: str,
    reply: str,
    lang: str,
    agent: str | None = None,
    conversation_id: str | None = None,
) -> str | None:
    """An agent sends the reply they wrote to a customer's question to the content team's list.

    It is clustered with similar questions, and becomes the answer of the cluster's draft.
    """
    if not reply.strip():
        raise ValueError("a suggested article needs the reply's text")
    entry = UnansweredQuestion(
        question, lang, UnansweredOutcome.SUGGESTED, "agent_reply", conversation_id, answer=reply, agent=agent
    )
    return UnansweredStore.of(redis_or_store).append(entry)
