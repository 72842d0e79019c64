"""Which conversations a verified customer started: one sorted set per customer (conversation id ->
started at, ms) and the field "customer" in each conversation's hash. The set expires with the
conversations (CONVERSATION_RETENTION_S after the customer's latest new conversation); erasing a
conversation takes it out (handoff/safeguards/erasure.py)."""
from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from knowledge import redis_keys as keys

CUSTOMER_FIELD = "customer"


def link(pipe: Pipeline, user_id: str, conversation_id: str, started_at_ms: int, retention_s: int) -> None:
    """Queued on the pipeline that creates the conversation: one transaction."""
    pipe.hset(keys.conversation(conversation_id), CUSTOMER_FIELD, user_id)
    pipe.zadd(keys.customer_conversations(user_id), {conversation_id: started_at_ms})
    pipe.expire(keys.customer_conversations(user_id), retention_s)


async def customer_of(redis: Redis, conversation_id: str) -> str | None:
    return await redis.hget(keys.conversation(conversation_id), CUSTOMER_FIELD) or None


async def conversations_of(redis: Redis, user_id: str) -> list[str]:
    """Newest first."""
    return list(await redis.zrevrange(keys.customer_conversations(user_id), 0, -1))


async def unlink(redis: Redis, user_id: str, conversation_ids: list[str]) -> int:
    """Takes the conversations out of the customer's list; the list goes when it is empty. Returns how many."""
    if not conversation_ids:
        return 0
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zrem(keys.customer_conversations(user_id), *conversation_ids)
        pipe.zcard(keys.customer_conversations(user_id))
        removed, left = await pipe.execute()
    if not left:
        await redis.delete(keys.customer_conversations(user_id))
    return int(removed)
