"""Conversations in Redis: ownership (bot, queued, agent, closed), the waiting queue, and each
conversation's messages in a Redis Stream that any reader resumes from the last id it saw."""
from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from handoff import lua
from handoff.agents import Agent, online_agents
from handoff.insights.recording import ConversationInsights
from handoff.ownership import (
    ClientIdReused,
    Owner,
    TransitionConflict,
    UnknownConversation,
    priority_of,
    queue_score,
    split_queue_score,
)
from handoff.rendering import markdown_to_safe_html
from handoff.returning.links import link
from handoff.settings import HandoffSettings
from knowledge import redis_keys as keys
from knowledge.contract import BotReply, EscalationReason

# What a customer may read of their conversation; suggestions and notes are for agents.
CUSTOMER_KINDS = frozenset({"customer", "bot", "agent", "system", "feedback"})
# What the transcript an agent reads leaves out: it is shown beside it.
FOR_AGENTS_ONLY = frozenset({"suggestions", "summary"})
# The insights' outbox and lost-events counter: the scripts that record events take them as their last keys.
INSIGHTS_KEYS = (keys.INSIGHTS_EVENTS, keys.INSIGHTS_LOST)


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Message:
    id: str
    kind: str  # customer, bot, agent, system
    at: int
    text: str = ""
    reply: BotReply | None = None  # a bot reply: text plus its machine-readable payload
    event: str | None = None  # system: queued, agent_joined, transferred, requeued, handed_back, closed, no_agent
    agent: str | None = None
    agent_name: str | None = None
    details: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_entry(cls, entry_id: str, fields: dict[str, str]) -> Message:
        known = {"kind", "at", "text", "reply", "event", "agent", "agent_name"}
        reply = json.loads(fields["reply"]) if "reply" in fields else None
        return cls(
            id=entry_id, kind=fields.get("kind", "system"), at=int(fields.get("at", 0)),
            text=fields.get("text") or (reply or {}).get("text", ""), reply=reply, event=fields.get("event"),
            agent=fields.get("agent") or None, agent_name=fields.get("agent_name") or None,
            details={k: v for k, v in fields.items() if k not in known},
        )

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        if self.kind == "bot" and self.text:
            data["html"] = markdown_to_safe_html(self.text)
        return {k: v for k, v in data.items() if v not in (None, {}, "") or k == "text"}


@dataclass(frozen=True)
class Escalation:
    reason: EscalationReason
    lang: str
    package: dict[str, Any]  # what the bot knew: article, confidence, sources


@dataclass(frozen=True)
class ConversationStatus:
    conversation_id: str
    owner: Owner
    lang: str | None = None
    reason: str | None = None
    agent: str | None = None
    agent_name: str | None = None
    queued_at: int | None = None
    position: int | None = None  # 1 = next to be served in its language
    estimated_wait_s: int | None = None
    agents_online: int | None = None


@dataclass(frozen=True)
class QueueEntry:
    conversation_id: str
    lang: str
    reason: str
    priority: int
    queued_at: int
    waiting_s: float


class ConversationStore:
    def __init__(self, redis: Redis, settings: HandoffSettings | None = None) -> None:
        self.redis = redis
        self.settings = settings or HandoffSettings()
        self._scripts = {name: redis.register_script(getattr(lua, name)) for name in (
            "CUSTOMER_MESSAGE", "BOT_TURN", "CLAIM", "AGENT_MESSAGE", "TRANSFER", "RELEASE", "GIVE_UP_WAITING")}
        self.insights = ConversationInsights(redis)

    def _keys(self, conversation_id: str) -> list[str]:
        return [keys.conversation(conversation_id), keys.messages(conversation_id), keys.QUEUE, keys.EVENTS]

    async def _run(self, script: str, conversation_id: str, *args: Any, extra_keys: tuple[str, ...] = ()) -> tuple[str, str]:
        status, detail = await self._scripts[script](
            keys=[*self._keys(conversation_id), *extra_keys], args=[conversation_id, *args, self._retention_s])
        return str(status), str(detail)

    @property
    def _retention_s(self) -> int:
        return self.settings.conversation_retention_s

    async def _append(self, conversation_id: str, fields: dict[str, Any],
                      also: Callable[[Pipeline], Awaitable[None]] | None = None) -> str:
        """A message outside the ownership scripts (suggestions, feedback), the expiry refreshed with it;
        `also` queues more on the same transaction (the insights event of a feedback)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(keys.messages(conversation_id), fields)
            # As the scripts do (lua.keep): the stream's expiry set if it had none, else only lengthened.
            pipe.expire(keys.messages(conversation_id), self._retention_s, nx=True)
            pipe.expire(keys.messages(conversation_id), self._retention_s, gt=True)
            pipe.expire(keys.conversation(conversation_id), self._retention_s)
            if also is not None:
                await also(pipe)
            message_id, *_ = await pipe.execute()
        return str(message_id)

    async def create(self, customer: str | None = None) -> str:
        """A new conversation, linked to `customer` (a verified user id: handoff.returning) when given."""
        # Unguessable: the id is the customer's only credential for their conversation.
        conversation_id = secrets.token_urlsafe(24)
        now = now_ms()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(keys.conversation(conversation_id), mapping={"owner": Owner.BOT.value, "created_at": now})
            pipe.expire(keys.conversation(conversation_id), self._retention_s)
            if customer is not None:
                link(pipe, customer, conversation_id, now, self._retention_s)
            await self.insights.started(pipe, conversation_id)
            await pipe.execute()
        return conversation_id

    async def exists(self, conversation_id: str) -> bool:
        return bool(await self.redis.exists(keys.conversation(conversation_id)))

    async def customer_message(self, conversation_id: str, text: str, client_id: str = "") -> tuple[Owner, str, bool]:
        """Record the message: (who must answer it, its stream id, whether it is a retry of the last one).
        Raises ClientIdReused, storing nothing, when the last message had this client id and another text."""
        owner, message_id, *fresh = await self._scripts["CUSTOMER_MESSAGE"](
            keys=self._keys(conversation_id), args=[conversation_id, text, now_ms(), client_id, self._retention_s])
        if owner == "unknown":
            raise UnknownConversation(conversation_id)
        if fresh == ["reused"]:
            raise ClientIdReused(client_id)
        return Owner(owner), message_id, fresh == ["duplicate"]

    async def bot_turn(self, conversation_id: str, replies: list[BotReply], escalation: Escalation | None,
                       question: str = "") -> tuple[str, str]:
        """Append the bot's replies, and queue the conversation in the same step if they hand over.
        `question`: what the customer asked, for the insights' record of the replies.

        Returns ("ok" | "queued" | "dropped", detail): dropped when the bot no longer owns the chat.
        """
        now = now_ms()
        handover = None
        if escalation:
            handover = {"reason": EscalationReason(escalation.reason).value, "lang": escalation.lang,
                        "topic": escalation.package.get("topic")}
        events = self.insights.bot_turn_events(conversation_id, replies, question, handover, now)
        args: list[Any] = [now, len(replies), *(json.dumps(reply, ensure_ascii=False) for reply in replies),
                           json.dumps(events, ensure_ascii=False), self.insights.recorder.bound]
        if escalation and handover:
            reason = handover["reason"]
            priority = priority_of(reason)
            args += [reason, escalation.lang, priority, queue_score(priority, now),
                     json.dumps(escalation.package, ensure_ascii=False),
                     keys.queue_member(escalation.lang, conversation_id)]
        status, detail = await self._run("BOT_TURN", conversation_id, *args, extra_keys=INSIGHTS_KEYS)
        if status != "dropped":
            self.insights.count_bot_turn(replies, handover if status == "queued" else None)
        return status, detail

    async def claim(self, conversation_id: str, agent: Agent) -> str:
        status, detail = await self._run("CLAIM", conversation_id, agent.username, agent.display_name, now_ms(),
                                         extra_keys=INSIGHTS_KEYS)
        if status == "conflict":
            raise TransitionConflict(conversation_id, detail)
        return status

    async def claim_next(self, agent: Agent) -> str | None:
        """The longest-waiting chat of the highest priority in one of the agent's languages."""
        for entry in await self.queue(agent.languages):
            try:
                if await self.claim(entry.conversation_id, agent) == "ok":
                    return entry.conversation_id
                # "noop": the agent claimed it meanwhile (the listing is read before the claims), not the next one
            except TransitionConflict:
                continue  # another agent was faster: try the next one
        return None

    async def agent_message(self, conversation_id: str, agent: Agent, text: str, used_suggestion: bool = False) -> str:
        status, detail = await self._run("AGENT_MESSAGE", conversation_id, agent.username, text, now_ms(),
                                         agent.display_name, "1" if used_suggestion else "0", extra_keys=INSIGHTS_KEYS)
        if status == "conflict":
            raise TransitionConflict(conversation_id, detail)
        return detail

    async def transfer(self, conversation_id: str, agent: Agent, to: Agent | None) -> str:
        status, detail = await self._run("TRANSFER", conversation_id, agent.username,
                                         to.username if to else "", to.display_name if to else "", now_ms())
        if status == "conflict":
            raise TransitionConflict(conversation_id, detail)
        return status

    async def _release(self, conversation_id: str, agent: Agent, owner: Owner, resolution: str) -> tuple[str, str]:
        status, detail = await self._run(
            "RELEASE", conversation_id, agent.username, now_ms(), owner.value, resolution,
            extra_keys=(keys.HANDLING_TIMES, *INSIGHTS_KEYS))
        if status == "conflict":
            raise TransitionConflict(conversation_id, detail)
        return status, detail

    async def hand_back(self, conversation_id: str, agent: Agent) -> tuple[str, str]:
        """Returns (status, id of the first message of the handoff)."""
        return await self._release(conversation_id, agent, Owner.BOT, "handed_back")

    async def close(self, conversation_id: str, agent: Agent, resolution: str) -> tuple[str, str]:
        return await self._release(conversation_id, agent, Owner.CLOSED, resolution)

    async def give_up_waiting(self, older_than_s: float) -> list[tuple[str, str]]:
        """Hand every chat queued longer than the limit back to the bot: [(conversation id, reason)]."""
        released = []
        for entry in await self.queue(None):
            released += await self.give_up_waiting_one(entry.conversation_id, older_than_s)
        return released

    async def give_up_waiting_one(self, conversation_id: str, older_than_s: float = 0.0) -> list[tuple[str, str]]:
        now = now_ms()
        status, reason = await self._run("GIVE_UP_WAITING", conversation_id, now, now - int(older_than_s * 1000),
                                         extra_keys=INSIGHTS_KEYS)
        return [(conversation_id, reason)] if status == "ok" else []

    async def queue(self, languages: tuple[str, ...] | None, limit: int = 500) -> list[QueueEntry]:
        members = await self.redis.zrange(keys.QUEUE, 0, limit - 1, withscores=True)
        now = now_ms()
        entries = []
        for member, score in members:
            lang, conversation_id = keys.split_queue_member(member)
            if languages is not None and lang not in languages:
                continue
            priority, queued_at = split_queue_score(score)
            reason = await self.redis.hget(keys.conversation(conversation_id), "reason") or ""
            entries.append(QueueEntry(conversation_id, lang, reason, priority, queued_at, (now - queued_at) / 1000))
        return entries

    async def status(self, conversation_id: str) -> ConversationStatus:
        record = await self.redis.hgetall(keys.conversation(conversation_id))
        if not record:
            raise UnknownConversation(conversation_id)
        owner = Owner(record["owner"])
        base = dict(
            conversation_id=conversation_id, owner=owner, lang=record.get("lang") or None,
            reason=record.get("reason") or None,
        )
        if owner is Owner.AGENT:
            return ConversationStatus(**base, agent=record.get("agent"), agent_name=record.get("agent_name"))
        if owner is not Owner.QUEUED:
            return ConversationStatus(**base)
        lang = record["lang"]
        waiting = [entry.conversation_id for entry in await self.queue((lang,))]
        position = waiting.index(conversation_id) + 1 if conversation_id in waiting else None
        online = len(await online_agents(self.redis, lang, self.settings.presence_window_s))
        estimate = None
        if position is not None and online:
            estimate = math.ceil(position / online) * await self.mean_handling_time_s()
        return ConversationStatus(**base, queued_at=int(record["queued_at"]), position=position,
                                  estimated_wait_s=None if estimate is None else int(estimate), agents_online=online)

    async def mean_handling_time_s(self) -> float:
        recent = [float(value) for value in await self.redis.lrange(keys.HANDLING_TIMES, 0, 49)]
        return sum(recent) / len(recent) if recent else self.settings.default_handling_time_s

    async def package(self, conversation_id: str) -> dict[str, Any]:
        raw = await self.redis.hget(keys.conversation(conversation_id), "package")
        return json.loads(raw) if raw else {}

    async def messages(self, conversation_id: str, after: str = "0", count: int = 1000) -> list[Message]:
        """Messages strictly after the stream id `after` ("0" = from the start)."""
        entries = await self.redis.xrange(keys.messages(conversation_id), min=f"({after}" if after != "0" else "-",
                                          count=count)
        return [Message.from_entry(entry_id, fields) for entry_id, fields in entries]

    async def messages_before(self, conversation_id: str, before: str, count: int, inclusive: bool = False) -> list[Message]:
        """Up to `count` messages before the stream id `before` (or up to it, if `inclusive`), newest first."""
        entries = await self.redis.xrevrange(keys.messages(conversation_id), max=before if inclusive else f"({before}",
                                             count=count)
        return [Message.from_entry(entry_id, fields) for entry_id, fields in entries]

    async def add_suggestions(self, conversation_id: str, for_message: str, items: list[dict[str, Any]]) -> str:
        """Suggested answers for the agent, for one customer message (never shown to the customer)."""
        return await self._append(conversation_id, {
            "kind": "suggestions", "for": for_message, "items": json.dumps(items, ensure_ascii=False), "at": now_ms(),
        })

    async def add_summary(self, conversation_id: str, summary: dict[str, Any]) -> str:
        """The hand-over summary for the agent (never shown to the customer)."""
        return await self._append(conversation_id, {
            "kind": "summary", "summary": json.dumps(summary, ensure_ascii=False), "at": now_ms()})

    async def typing(self, conversation_id: str, who: str, name: str) -> None:
        """Ephemeral: a short stream of its own, apart from the messages."""
        await self.redis.xadd(keys.typing(conversation_id), {"who": who, "name": name, "at": now_ms()},
                              maxlen=20, approximate=False)
        await self.redis.expire(keys.typing(conversation_id), min(3600, self._retention_s))

    async def feedback(self, conversation_id: str, message_id: str, helpful: bool) -> str:
        """The customer's verdict on one bot answer, kept beside the conversation for agents and editors."""
        answered = await self.redis.xrange(keys.messages(conversation_id), min=message_id, max=message_id)
        if not answered or answered[0][1].get("kind") != "bot":
            raise UnknownConversation(f"{conversation_id}/{message_id}")
        reply = json.loads(answered[0][1]["reply"])
        return await self._append(conversation_id, {
            "kind": "feedback", "for": message_id, "helpful": "yes" if helpful else "no",
            "article": reply.get("article") or "", "at": now_ms()},
            also=lambda pipe: self.insights.feedback(pipe, conversation_id, message_id, helpful, reply.get("article"),
                                                     reply.get("lang")))

    async def wait_for_messages(self, conversation_id: str, after: str, block_ms: int) -> list[Message]:
        result = await self.redis.xread({keys.messages(conversation_id): after}, count=500, block=block_ms)
        return [Message.from_entry(entry_id, fields) for _, entries in result for entry_id, fields in entries]
