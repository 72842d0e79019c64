"""Tickets: what a customer left when no agent could take the chat, for an agent to follow up."""
from __future__ import annotations

import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from handoff.insights.events import EventKind, EventRecorder, record_event
from knowledge import redis_keys as keys
from knowledge.contacts import contact_key, looks_like_contact  # noqa: F401  (erasure finds them here)


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    conversation_id: str
    contact: str
    lang: str
    reason: str
    filed_at_ms: int
    status: str
    # The conversation's messages (customer, bot, agent) stay in its stream: nothing is copied or dropped.
    # The stream is kept at least as long as the ticket (keep_transcript).
    messages_key: str

    def public(self) -> dict[str, object]:
        return {
            "ticket_id": self.ticket_id, "conversation_id": self.conversation_id, "contact": self.contact,
            "lang": self.lang, "reason": self.reason, "filed_at_ms": self.filed_at_ms, "status": self.status,
        }


DEFAULT_RETENTION_S = 90 * 24 * 3600


def keep_transcript(pipe: Pipeline, messages_key: str, retention_s: int) -> None:
    """The conversation's messages are the ticket's transcript: they expire no sooner than the ticket,
    whatever the conversation retention (its later writes never shorten it either: lua.keep). Only
    lengthened (GT): a conversation kept longer than tickets keeps its own expiry."""
    pipe.expire(messages_key, retention_s, gt=True)


async def file_ticket(redis: Redis, conversation_id: str, contact: str, lang: str, reason: str,
                      retention_s: int = DEFAULT_RETENTION_S) -> Ticket:
    """The ticket record expires `retention_s` after its last change, with its entry in the contact index;
    the conversation's messages (its transcript) live at least as long (see keep_transcript)."""
    number = await redis.incr(keys.TICKET_SEQUENCE)
    ticket = Ticket(
        ticket_id=f"T{number:06d}", conversation_id=conversation_id, contact=contact, lang=lang, reason=reason,
        filed_at_ms=int(time.time() * 1000), status="open", messages_key=keys.messages(conversation_id),
    )
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(keys.ticket(ticket.ticket_id), mapping={
            "conversation_id": conversation_id, "contact": contact, "lang": lang, "reason": reason,
            "filed_at_ms": ticket.filed_at_ms, "status": "open", "messages_key": ticket.messages_key,
        })
        pipe.expire(keys.ticket(ticket.ticket_id), retention_s)
        keep_transcript(pipe, ticket.messages_key, retention_s)
        pipe.zadd(keys.TICKETS, {ticket.ticket_id: ticket.filed_at_ms})
        # Open tickets whose record expired leave the list too.
        pipe.zremrangebyscore(keys.TICKETS, 0, ticket.filed_at_ms - retention_s * 1000)
        if contact:
            pipe.sadd(keys.tickets_of_contact(contact_key(contact)), ticket.ticket_id)
            pipe.expire(keys.tickets_of_contact(contact_key(contact)), retention_s)
        pipe.xadd(keys.EVENTS, {"type": "ticket_filed", "ticket": ticket.ticket_id, "conversation": conversation_id,
                                "lang": lang, "reason": reason}, maxlen=10_000, approximate=True)
        await EventRecorder(redis).record_in(pipe, EventKind.TICKET_OPENED, conversation_id, lang,
                                             ticket=ticket.ticket_id, reason=reason)
        await pipe.execute()
    return ticket


async def get_ticket(redis: Redis, ticket_id: str) -> Ticket | None:
    record = await redis.hgetall(keys.ticket(ticket_id))
    if not record:
        return None
    return Ticket(
        ticket_id=ticket_id, conversation_id=record["conversation_id"], contact=record["contact"],
        lang=record["lang"], reason=record["reason"], filed_at_ms=int(record["filed_at_ms"]),
        status=record["status"], messages_key=record["messages_key"],
    )


async def open_tickets(redis: Redis, limit: int = 100) -> list[Ticket]:
    ids = await redis.zrange(keys.TICKETS, 0, limit - 1)
    tickets = [await get_ticket(redis, ticket_id) for ticket_id in ids]
    return [ticket for ticket in tickets if ticket]


async def resolve_ticket(redis: Redis, ticket_id: str, agent: str, retention_s: int = DEFAULT_RETENTION_S) -> bool:
    messages_key, conversation_id, lang = await redis.hmget(
        keys.ticket(ticket_id), ["messages_key", "conversation_id", "lang"])
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zrem(keys.TICKETS, ticket_id)
        pipe.hset(keys.ticket(ticket_id), mapping={"status": "done", "done_by": agent})
        pipe.expire(keys.ticket(ticket_id), retention_s)
        if messages_key:
            keep_transcript(pipe, messages_key, retention_s)
        removed, *_ = await pipe.execute()
    if removed:
        await record_event(redis, EventKind.TICKET_CLOSED, conversation_id or "", lang, ticket=ticket_id, agent=agent)
    return bool(removed)
