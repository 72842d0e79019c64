"""Server-sent event streams: a conversation's messages (customer or agent view) and the
queue's changes (agent consoles). A reader passes the last id it saw (the `Last-Event-ID`
header on reconnection) and gets exactly what came after."""
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any

from fastapi.sse import ServerSentEvent

from knowledge import redis_keys as keys
from handoff.agents import mark_present
from handoff.conversations import CUSTOMER_KINDS, ConversationStore, Message

# Under the Redis client's 5 s socket timeout (redis-py's default): a longer blocking read
# times out and is retried until the client gives up, and a quiet console stops refreshing presence.
BLOCK_MS = 4_000


def message_event(message: Message) -> ServerSentEvent:
    return ServerSentEvent(event="message", id=message.id, data=message.public())


async def _last_event_id(store: ConversationStore) -> str:
    latest = await store.redis.xrevrange(keys.EVENTS, count=1)
    return latest[0][0] if latest else "0"


async def conversation_events(
    store: ConversationStore, conversation_id: str, after: str, for_customer: bool
) -> AsyncIterator[ServerSentEvent]:
    """Messages after `after`, live; a customer also gets `status` events (position, wait, agent)."""
    message_key, typing_key = keys.messages(conversation_id), keys.typing(conversation_id)
    events_after = await _last_event_id(store)
    typing_after = "$"
    other_side = "agent" if for_customer else "customer"
    last_status: dict[str, Any] | None = None
    while True:
        if for_customer:
            status = asdict(await store.status(conversation_id))
            if status != last_status:
                last_status = status
                yield ServerSentEvent(event="status", data=status)
        streams = {message_key: after, typing_key: typing_after}
        if for_customer and last_status and last_status["owner"] == "queued":
            streams[keys.EVENTS] = events_after  # someone ahead was served: the position changed
        result = await store.redis.xread(streams, count=200, block=BLOCK_MS)
        for stream, entries in result:
            if stream == keys.EVENTS:
                events_after = entries[-1][0]
                continue
            if stream == typing_key:
                typing_after = entries[-1][0]
                if any(fields.get("who") == other_side for _, fields in entries):
                    who = next(fields for _, fields in reversed(entries) if fields.get("who") == other_side)
                    yield ServerSentEvent(event="typing", data=who)
                continue
            for entry_id, fields in entries:
                after = entry_id
                message = Message.from_entry(entry_id, fields)
                if for_customer and message.kind not in CUSTOMER_KINDS:
                    continue
                yield message_event(message)


async def queue_events(store: ConversationStore, username: str, after: str | None) -> AsyncIterator[ServerSentEvent]:
    """Every queue and ownership change, live; while connected the agent counts as online."""
    after = after or await _last_event_id(store)
    yield ServerSentEvent(event="ready", id=after, data={"agent": username})
    while True:
        await mark_present(store.redis, username)
        result = await store.redis.xread({keys.EVENTS: after}, count=200, block=BLOCK_MS)
        for _, entries in result:
            for entry_id, fields in entries:
                after = entry_id
                yield ServerSentEvent(event=fields.get("type", "change"), id=entry_id, data=fields)
