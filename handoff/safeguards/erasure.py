"""Erasing a customer: every trace of their conversations in every store, found by conversation id,
email address, phone number or verified customer id (handoff.returning). Idempotent: erasing twice
erases nothing the second time.

An email address or phone number finds the conversations of the tickets filed with it, and those whose
customer messages or Rasa tracker hold it, however written ("06 12 34 56 78" for +33612345678).

Stores reached: the conversation's own keys (hash, messages, typing, package), Rasa's tracker and
lock, the waiting queue, tickets with their history and the contact index, a verified customer's list of
conversations, the content team's unanswered questions, and the events stream the consoles read (it names
conversations and tickets).
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from redis.asyncio import Redis

from handoff.returning.links import CUSTOMER_FIELD, conversations_of, unlink
from handoff.tickets import contact_key, looks_like_contact
from knowledge import redis_keys as keys
from knowledge.contacts import mentions

_SCAN_BATCH = 500
STORES = ("conversation keys", "rasa trackers", "queue", "tickets", "customer links", "unanswered questions", "events")


@dataclass
class ErasureReport:
    """What was erased, counted per store."""

    who: str
    conversations: list[str] = field(default_factory=list)
    erased: Counter[str] = field(default_factory=lambda: Counter(dict.fromkeys(STORES, 0)))

    def public(self) -> dict[str, object]:
        return {"conversations": len(self.conversations), "erased": dict(self.erased)}


async def _tickets_of_contact(redis: Redis, contact: str) -> set[str]:
    """From the index kept on ticket write, and from the records themselves (tickets filed before the index)."""
    wanted = contact_key(contact)
    found = set(await redis.smembers(keys.tickets_of_contact(wanted)))
    async for key in redis.scan_iter(match=keys.TICKET_PATTERN, count=_SCAN_BATCH):
        recorded = await redis.hget(key, "contact")
        if recorded and contact_key(recorded) == wanted:
            found.add(key.rsplit(":", 1)[1])
    return found


async def _customer_wrote(redis: Redis, messages_key: str, wanted: str) -> bool:
    last = "-"
    while entries := await redis.xrange(messages_key, min=last, max="+", count=_SCAN_BATCH):
        if any(fields.get("kind") == "customer" and mentions(fields.get("text", ""), wanted) for _, fields in entries):
            return True
        last = f"({entries[-1][0]}"
    return False


def _tracker_texts(stored: str) -> Iterator[str]:
    """What the customer said and the slots' values (`contact` among them) in a tracker as Rasa's
    RedisTrackerStore keeps it: JSON with its events."""
    try:
        events = json.loads(stored).get("events") or []
    except (ValueError, AttributeError):
        return
    for event in events:
        value = {"user": event.get("text"), "slot": event.get("value")}.get(event.get("event")) if isinstance(event, dict) else None
        if isinstance(value, str):
            yield value


async def _conversations_mentioning(redis: Redis, wanted: str) -> set[str]:
    """Conversations whose customer messages or Rasa tracker hold the contact `wanted` (a contact_key()),
    although no ticket names it (no ticket filed, or already erased). Costs a SCAN over every conversation's
    message stream and every tracker, reading all of them (each text costs a parse only when its characters
    could hold the contact): proportional to what Redis keeps, affordable for an erasure, which is rare."""
    found = set()
    async for key in redis.scan_iter(match=keys.MESSAGES_PATTERN, count=_SCAN_BATCH):
        if await _customer_wrote(redis, key, wanted):
            found.add(key.removeprefix(keys.messages("")))
    async for key in redis.scan_iter(match=keys.RASA_TRACKER_PATTERN, count=_SCAN_BATCH):
        stored = await redis.get(key)
        if stored and any(mentions(text, wanted) for text in _tracker_texts(stored)):
            found.add(key.removeprefix(keys.rasa_tracker("")))
    return found


async def _tickets_of_conversations(redis: Redis, conversation_ids: set[str]) -> set[str]:
    found = set()
    async for key in redis.scan_iter(match=keys.TICKET_PATTERN, count=_SCAN_BATCH):
        if await redis.hget(key, "conversation_id") in conversation_ids:
            found.add(key.rsplit(":", 1)[1])
    return found


async def _erase_stream_entries(redis: Redis, stream: str, field_name: str, values: set[str]) -> list[str]:
    """XDEL every entry of `stream` whose `field_name` is one of `values`; returns their ids."""
    doomed: list[str] = []
    last = "-"
    while True:
        entries = await redis.xrange(stream, min=last, max="+", count=_SCAN_BATCH)
        if not entries:
            break
        doomed += [entry_id for entry_id, fields in entries if fields.get(field_name) in values]
        last = f"({entries[-1][0]}"
    if doomed:
        await redis.xdel(stream, *doomed)
    return doomed


async def _erase_tickets(redis: Redis, ticket_ids: set[str], report: ErasureReport) -> None:
    for ticket_id in sorted(ticket_ids):
        contact = await redis.hget(keys.ticket(ticket_id), "contact")
        async with redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys.ticket(ticket_id))
            pipe.zrem(keys.TICKETS, ticket_id)
            if contact:
                pipe.srem(keys.tickets_of_contact(contact_key(contact)), ticket_id)
            pipe.delete(keys.ticket_history(ticket_id))  # agents' replies to the customer
            deleted, *_ = await pipe.execute()
        report.erased["tickets"] += deleted


async def _erase_conversation(redis: Redis, conversation_id: str, report: ErasureReport) -> None:
    member, customer = await redis.hmget(keys.conversation(conversation_id), ["queue_member", CUSTOMER_FIELD])
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(keys.conversation(conversation_id), keys.messages(conversation_id), keys.typing(conversation_id),
                    keys.package(conversation_id))
        pipe.delete(keys.rasa_tracker(conversation_id), keys.rasa_lock(conversation_id))
        if member:
            pipe.zrem(keys.QUEUE, member)
        conversation_keys, rasa_keys, *queued = await pipe.execute()
    report.erased["conversation keys"] += conversation_keys
    report.erased["rasa trackers"] += rasa_keys
    report.erased["queue"] += sum(queued)
    if customer:
        report.erased["customer links"] += await unlink(redis, customer, [conversation_id])


async def forget(redis: Redis, who: str) -> ErasureReport:
    """Erase the conversation `who`, or every conversation and ticket of the email address or phone number
    `who`, and every conversation of the verified customer whose id is `who`."""
    who = who.strip()
    report = ErasureReport(who)
    linked = await conversations_of(redis, who)
    ticket_ids: set[str] = set()
    conversation_ids = set(linked)
    if looks_like_contact(who):
        ticket_ids = await _tickets_of_contact(redis, who)
        conversation_ids |= {cid for cid in [await redis.hget(keys.ticket(t), "conversation_id") for t in ticket_ids] if cid}
        conversation_ids |= await _conversations_mentioning(redis, contact_key(who))
        await redis.delete(keys.tickets_of_contact(contact_key(who)))
    elif not linked:
        conversation_ids = {who}
    ticket_ids |= await _tickets_of_conversations(redis, conversation_ids)
    await _erase_tickets(redis, ticket_ids, report)
    for conversation_id in sorted(conversation_ids):
        await _erase_conversation(redis, conversation_id, report)
    if linked:  # what is left names conversations that expired before
        report.erased["customer links"] += await unlink(redis, who, linked)
    report.conversations = sorted(conversation_ids)
    if conversation_ids:
        unanswered = await _erase_stream_entries(redis, keys.UNANSWERED, "conversation_id", conversation_ids)
        if unanswered:
            await redis.srem(keys.UNANSWERED_HANDLED, *unanswered)
        report.erased["unanswered questions"] += len(unanswered)
        events = await _erase_stream_entries(redis, keys.EVENTS, "conversation", conversation_ids)
        report.erased["events"] += len(events)
    return report
