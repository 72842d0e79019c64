"""Where a kill's seconds went, from the drill's own timestamps: when Redis took writes through HAProxy
(a probe writing every 0.1 s), which failed attempts the customers met after each kill and when, and the
slowest conversation's attempts one by one (sent, failed and why, waited, answered)."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from ops.cluster.customers import Customer

PROBE_EVERY_S = 0.1
PROBE_KEY = "failover:probe"


@dataclass
class RedisProbe:
    """Writes to the Redis primary through HAProxy every PROBE_EVERY_S, with no retry: the outcomes say
    when the frontend stopped and started taking writes again."""
    port: int
    outcomes: list[tuple[float, bool]] = field(default_factory=list)  # (monotonic, write acknowledged)

    async def run(self) -> None:
        """Until cancelled."""
        client = Redis(port=self.port, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
        try:
            while True:
                try:
                    await client.set(PROBE_KEY, str(time.time()), ex=60)
                    self.outcomes.append((time.monotonic(), True))
                except (RedisError, OSError):
                    self.outcomes.append((time.monotonic(), False))
                await asyncio.sleep(PROBE_EVERY_S)
        finally:
            await client.aclose()

    def unwritable(self, since: float, until: float) -> tuple[float, float] | None:
        """The first failed write at or after `since` and the first good one after it, both before `until`."""
        failed = next((t for t, ok in self.outcomes if since <= t < until and not ok), None)
        if failed is None:
            return None
        back = next((t for t, ok in self.outcomes if failed < t < until and ok), until)
        return failed, back


def _offset(at: float, kill_at: float) -> str:
    return f"+{at - kill_at:.1f}"


def failures_after(customers: list[Customer], kill_at: float, until: float) -> str:
    """The failed attempts that came back between the kill and the next, by kind, with the first and last."""
    kinds: dict[str, list[float]] = {}
    for customer in customers:
        for failure in customer.failures:
            if kill_at <= failure.failed_at < until:
                kinds.setdefault(failure.what, []).append(failure.failed_at)
    if not kinds:
        return "no failed attempt"
    return ", ".join(f"{what} x{len(times)} ({_offset(min(times), kill_at)}..{_offset(max(times), kill_at)} s)"
                     for what, times in sorted(kinds.items(), key=lambda item: -len(item[1])))


def slowest_conversation(customers: list[Customer], kill_at: float) -> str:
    """The attempts of the conversation that waited longest for its first answer after the kill."""
    waits = []
    for customer in customers:
        turn = next((t for t in customer.turns if t.answered_at >= kill_at), None)
        if turn is not None:
            waits.append((turn.answered_at - max(kill_at, turn.sent_at), customer, turn))
    if not waits:
        return "no conversation answered"
    wait, customer, turn = max(waits, key=lambda item: item[0])
    steps = [f"sent {_offset(turn.sent_at, kill_at)}"]
    for failure in customer.failures:
        if turn.sent_at <= failure.sent_at < turn.answered_at:
            steps.append(f"[{_offset(failure.sent_at, kill_at)} -> {failure.what} {_offset(failure.failed_at, kill_at)}]")
    steps.append(f"[{_offset(turn.last_attempt_at, kill_at)} -> answered {_offset(turn.answered_at, kill_at)}]")
    return f"{customer.conversation_id[:8]} waited {wait:.1f} s: " + " ".join(steps)
