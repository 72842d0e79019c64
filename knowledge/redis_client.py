"""How every process of the project connects to Redis: one connect timeout and one retry policy for
the asynchronous clients (handoff/connection.py) and the synchronous ones built here (rq's content
queue and worker, the unanswered questions' stream)."""
from __future__ import annotations

from typing import Any

from redis import Redis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

# A command retries this often, 0.2 + 0.4 + 0.8 + 1 + 1 s apart: about 3.4 s in all, longer than Redis
# takes to restart on its append-only file or Sentinel to promote a replica behind HAProxy (about 2 s
# from the kill to HAProxy's switch in `make failover` at load 5-6, longer on a busier machine: 2.4 s
# left no margin), and short enough that a customer hears "retry" (503) within the 5 s the widget
# promises while Redis stays down (12 retries capped at 2 s made that 19 s).
RETRIES = 5
BACKOFF_CAP_S = 1.0
# Each attempt's wait for a connection: a Redis on the network connects in milliseconds, and 2 s leaves
# room for one lost SYN (resent after 1 s). An unreachable host then fails after about 6 x 2 + 3.4 s
# instead of waiting out redis-py's default at each attempt (5 s in redis-py 8.1; none in older ones,
# Rasa's 4.6 among them, which leaves it to the OS: about 2 minutes).
CONNECT_TIMEOUT_S = 2.0


def connection_options(retry: type[Retry] | type[AsyncRetry]) -> dict[str, Any]:
    """Redis.from_url's keywords for a client that rides out a Redis restart; `retry` is redis-py's
    Retry class of the client's kind (redis.retry for sync clients, redis.asyncio.retry for async ones)."""
    return {
        "socket_connect_timeout": CONNECT_TIMEOUT_S,
        "retry": retry(ExponentialBackoff(cap=BACKOFF_CAP_S, base=0.1), retries=RETRIES),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
    }


def connect_sync(url: str, decode_responses: bool = False) -> Redis:
    """A synchronous client (rq needs bytes: `decode_responses` stays off for it)."""
    return Redis.from_url(url, decode_responses=decode_responses, **connection_options(Retry))
