"""The Redis client factory: one client per process, never a module global."""
from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


def connect(url: str) -> Redis:
    """A client that rides out a Redis restart: commands retry with backoff for about 10 s."""
    return Redis.from_url(
        url,
        decode_responses=True,
        health_check_interval=30,
        retry=Retry(ExponentialBackoff(cap=2.0, base=0.1), retries=12),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
