"""A verified customer's earlier conversations, as an advisor reads them beside the one open: when,
in which language, how it ended and its last message."""
from __future__ import annotations

from dataclasses import dataclass

from handoff.conversations import ConversationStore, Message
from handoff.returning.links import conversations_of, customer_of
from knowledge import redis_keys as keys

# The last message is found among the newest entries of the stream (suggestions, summaries and
# feedback may come after it).
_LOOK_BACK = 30
_LAST_MESSAGE_CHARS = 200
_SPOKEN = frozenset({"customer", "bot", "agent"})


@dataclass(frozen=True)
class PastConversation:
    conversation_id: str
    started_at: int  # ms
    owner: str  # bot, queued, agent, closed: where it stands now
    resolution: str | None  # how an advisor closed or handed it back
    outcome: str | None  # the outcome of the bot's last reply (answer, decline, escalate, ...)
    lang: str | None
    last_at: int | None  # ms
    last_from: str | None  # customer, bot or agent
    last_message: str


@dataclass(frozen=True)
class CustomerHistory:
    customer: str | None  # None: the conversation's customer is anonymous
    conversations: list[PastConversation]


async def _past(store: ConversationStore, conversation_id: str) -> PastConversation | None:
    record = await store.redis.hgetall(keys.conversation(conversation_id))
    if not record:
        return None  # expired or erased since it was linked
    recent = await store.messages_before(conversation_id, "+", _LOOK_BACK, inclusive=True)
    last: Message | None = next((m for m in recent if m.kind in _SPOKEN), None)
    bot = next((m.reply for m in recent if m.kind == "bot" and m.reply), None) or {}
    return PastConversation(
        conversation_id=conversation_id, started_at=int(record.get("created_at") or 0), owner=record.get("owner", "bot"),
        resolution=record.get("resolution") or None, outcome=bot.get("outcome"),
        lang=record.get("lang") or bot.get("lang"), last_at=last.at if last else None,
        last_from=last.kind if last else None, last_message=(last.text if last else "")[:_LAST_MESSAGE_CHARS],
    )


async def previous_conversations(store: ConversationStore, conversation_id: str, limit: int = 20) -> CustomerHistory:
    """The other conversations of this conversation's customer, newest first (`limit` at most)."""
    customer = await customer_of(store.redis, conversation_id)
    if customer is None:
        return CustomerHistory(None, [])
    found: list[PastConversation] = []
    for other in await conversations_of(store.redis, customer):
        if other == conversation_id:
            continue
        past = await _past(store, other)
        if past is not None:
            found.append(past)
        if len(found) >= limit:
            break
    return CustomerHistory(customer, found)
