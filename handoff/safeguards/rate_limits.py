"""How fast customers may write, rate answers, say they are typing and open conversations: fixed
windows counted in Redis, so the limits hold however many web app replicas share the Redis. A request
is checked against all its limits and counted against all of them in one atomic step (lua.TAKE_RATE),
or refused and counted nowhere."""
from __future__ import annotations

import math
from dataclasses import dataclass

from redis.asyncio import Redis

from handoff import lua
from handoff.settings import HandoffSettings
from knowledge import redis_keys as keys


@dataclass(frozen=True)
class Limit:
    name: str  # what is limited, e.g. "messages-per-conversation"
    who: str  # whose count: a conversation id, a client address
    max_count: int  # 0 or less: no limit
    window_s: int


class RateLimiter:
    def __init__(self, redis: Redis, settings: HandoffSettings) -> None:
        self._take = redis.register_script(lua.TAKE_RATE)
        self._settings = settings

    async def take(self, *limits: Limit) -> int:
        """Counts one request against every limit and returns 0, or, when any limit is reached,
        counts nothing and returns the whole seconds until that limit's window ends."""
        active = [limit for limit in limits if limit.max_count > 0]
        if not active:
            return 0
        wait_ms = await self._take(keys=[keys.rate_count(limit.name, limit.who) for limit in active],
                                   args=[value for limit in active for value in (limit.max_count, limit.window_s)])
        return max(math.ceil(int(wait_ms) / 1000), 1) if int(wait_ms) > 0 else 0

    async def customer_message(self, conversation_id: str, address: str) -> int:
        s = self._settings
        return await self.take(Limit("messages-per-conversation", conversation_id, s.messages_per_conversation, s.messages_window_s),
                               Limit("messages-per-address", address, s.messages_per_address, s.messages_window_s))

    async def customer_feedback(self, conversation_id: str, address: str) -> int:
        """A rating counts as a message, on the same counts: a "no" costs a turn of the bot, as a message does."""
        return await self.customer_message(conversation_id, address)

    async def customer_typing(self, conversation_id: str, address: str) -> int:
        s = self._settings
        return await self.take(
            Limit("typing-per-conversation", conversation_id, s.typing_per_conversation, s.typing_window_s),
            Limit("typing-per-address", address, s.typing_per_address, s.typing_window_s))

    async def new_conversation(self, address: str) -> int:
        s = self._settings
        return await self.take(Limit("conversations-per-address", address, s.conversations_per_address, s.conversations_window_s))
