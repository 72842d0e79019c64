"""Server-sent event streams: a conversation's messages (customer or agent view) and the
queue's changes (agent consoles). A reader passes the last id it saw (the `Last-Event-ID`
header on reconnection) and gets exactly what came after. The entries come from the web
process's one Redis reader (handoff/web/stream_hub.py), not from a connection per stream."""
from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any

from fastapi.sse import ServerSentEvent

from knowledge import redis_keys as keys
from handoff.agents import mark_present
from handoff.conversations import CUSTOMER_KINDS, ConversationStore, Message
from handoff.web.stream_hub import SlowSubscriber, StreamHub

# A waiting customer's position, estimate and agents online also change without an entry in any
# stream (an agent's console going quiet): looked at again this often while queued.
QUEUED_STATUS_REFRESH_S = 4.0
# Well inside the presence window (settings.presence_window_s), so a quiet console stays online.
PRESENCE_REFRESH_S = 4.0


def message_event(message: Message) -> ServerSentEvent:
    return ServerSentEvent(event="message", id=message.id, data=message.public())


async def _last_event_id(store: ConversationStore) -> str:
    latest = await store.redis.xrevrange(keys.EVENTS, count=1)
    return latest[0][0] if latest else "0"


async def conversation_events(
    hub: StreamHub, store: ConversationStore, conversation_id: str, after: str, for_customer: bool
) -> AsyncIterator[ServerSentEvent]:
    """Messages after `after`, live; a customer also gets `status` events (position, wait, agent).
    Ends when the reader falls too far behind: the browser reconnects from the last message id."""
    message_key, typing_key = keys.messages(conversation_id), keys.typing(conversation_id)
    other_side = "agent" if for_customer else "customer"
    last_status: dict[str, Any] | None = None
    async with hub.subscription() as subscription:
        await subscription.watch(typing_key)  # from now on: typing is ephemeral
        await subscription.watch(message_key, after)
        try:
            while True:
                if for_customer:
                    status = asdict(await store.status(conversation_id))
                    if status != last_status:
                        last_status = status
                        yield ServerSentEvent(event="status", data=status)
                    queued = status["owner"] == "queued"
                    if queued and not subscription.watching(keys.EVENTS):
                        await subscription.watch(keys.EVENTS)  # someone ahead served: the position changed
                    elif not queued and subscription.watching(keys.EVENTS):
                        subscription.unwatch(keys.EVENTS)
                waiting = for_customer and subscription.watching(keys.EVENTS)
                batch = await subscription.next(QUEUED_STATUS_REFRESH_S if waiting else None)
                if batch is None or batch[0] == keys.EVENTS:
                    continue
                stream, entries = batch
                if stream == typing_key:
                    who = next((fields for _, fields in reversed(entries) if fields.get("who") == other_side), None)
                    if who is not None:
                        yield ServerSentEvent(event="typing", data=who)
                    continue
                for entry_id, fields in entries:
                    message = Message.from_entry(entry_id, fields)
                    if for_customer and message.kind not in CUSTOMER_KINDS:
                        continue
                    yield message_event(message)
        except SlowSubscriber:
            return


async def queue_events(hub: StreamHub, store: ConversationStore, username: str,
                       after: str | None) -> AsyncIterator[ServerSentEvent]:
    """Every queue and ownership change, live; while connected the agent counts as online."""
    after = after or await _last_event_id(store)
    yield ServerSentEvent(event="ready", id=after, data={"agent": username})
    async with hub.subscription() as subscription:
        await subscription.watch(keys.EVENTS, after)
        await mark_present(store.redis, username)
        present_at = time.monotonic()
        try:
            while True:
                batch = await subscription.next(PRESENCE_REFRESH_S)
                if time.monotonic() - present_at >= PRESENCE_REFRESH_S:
                    await mark_present(store.redis, username)
                    present_at = time.monotonic()
                for entry_id, fields in batch[1] if batch else []:
                    yield ServerSentEvent(event=fields.get("type", "change"), id=entry_id, data=fields)
        except SlowSubscriber:
            return
