"""Password guessing is slowed down: after `login_max_failures` failed logins for one username, or
from one client address, within `login_failure_window_s`, logins are refused (429) until the window
ends. A success clears the username's count. Counters are Redis keys that expire with the window."""
from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from knowledge import redis_keys as keys


@dataclass(frozen=True)
class LoginGuard:
    redis: Redis
    max_failures: int
    window_s: int

    def _keys(self, username: str, address: str) -> tuple[str, str]:
        return keys.login_failures("user", username.lower()), keys.login_failures("addr", address)

    async def retry_after_s(self, username: str, address: str) -> int:
        """0 when a login may be tried now, else the seconds until it may."""
        waits = []
        for key in self._keys(username, address):
            failures = int(await self.redis.get(key) or 0)
            if failures >= self.max_failures:
                waits.append(max(int(await self.redis.ttl(key)), 1))
        return max(waits, default=0)

    async def failed(self, username: str, address: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in self._keys(username, address):
                pipe.incr(key)
                pipe.expire(key, self.window_s, nx=True)
            await pipe.execute()

    async def succeeded(self, username: str) -> None:
        await self.redis.delete(keys.login_failures("user", username.lower()))
