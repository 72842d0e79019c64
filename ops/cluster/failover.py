"""The failover drill: customers chat through HAProxy while one web app, one Rasa server, one action
server and then the Redis primary are killed (SIGKILL), one after the other, none brought back. Then
every conversation is read back and checked against what its customer was told.

What a kill costs a conversation (its gap): how long its customer waited for the first answer after the
kill, counted from the kill or from when they sent that message if later (the customer's own pause is not
the kill's doing). The drill prints the largest and the median gap, and the slowest turn until the next kill."""
from __future__ import annotations

import asyncio
import shutil
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ops.cluster.customers import Customer, new_customer
from ops.cluster.launch import Cluster, start_cluster
from ops.cluster.timeline import RedisProbe, failures_after, slowest_conversation

KILLS = ("web1", "rasa1", "actions1", "redis primary")
# The promise: every conversation answered again this soon after each kill.
ANSWERED_AGAIN_S = 10.0
CATCH_UP_S = 30.0  # at the end, the live streams' time to deliver what is already stored


@dataclass(frozen=True)
class Kill:
    process: str
    at: float  # monotonic


@dataclass
class Report:
    customers: list[Customer]
    kills: list[Kill]
    redis_probe: RedisProbe | None = None
    problems: list[str] = field(default_factory=list)

    def gaps(self, kill: Kill) -> list[float | None]:
        """Per conversation: the wait for its first answer after the kill (None: none came)."""
        return [next((t.answered_at - max(kill.at, t.sent_at) for t in c.turns if t.answered_at >= kill.at), None)
                for c in self.customers]

    def slowest_turn(self, kill: Kill, until: float) -> float:
        """The longest a turn answered after the kill (and before the next) took, retries included."""
        return max((t.answered_at - t.sent_at for c in self.customers for t in c.turns
                    if kill.at <= t.answered_at < until), default=0.0)

    @property
    def passed(self) -> bool:
        return not self.problems and all(
            gap is not None and gap <= ANSWERED_AGAIN_S for kill in self.kills for gap in self.gaps(kill))

    def table(self) -> str:
        turns = sum(len(c.turns) for c in self.customers)
        lines = [f"{len(self.customers)} customers, {turns} acknowledged turns, "
                 f"{sum(c.reconnections for c in self.customers)} live-stream reconnections",
                 f"{'killed':<24} {'gap max':>8} {'gap p50':>8} {'unanswered':>10} {'slowest turn':>12}"]
        ends = [k.at for k in self.kills[1:]] + [float("inf")]
        for kill, end in zip(self.kills, ends):
            gaps = self.gaps(kill)
            answered = [g for g in gaps if g is not None]
            lines.append(f"{kill.process:<24} {max(answered, default=0):>7.1f}s {statistics.median(answered or [0]):>7.1f}s "
                         f"{gaps.count(None):>10} {self.slowest_turn(kill, end):>11.1f}s")
        failed: dict[str, int] = {}
        for customer in self.customers:
            for what, count in customer.failed_attempts.items():
                failed[what] = failed.get(what, 0) + count
        lines.append(f"failed attempts (retried with the same client_id): {failed or 'none'}")
        ends: dict[str, int] = {}
        for customer in self.customers:
            for why, count in customer.stream_ends.items():
                ends[why] = ends.get(why, 0) + count
        lines.append(f"live-stream connections ended by: {ends or 'nothing'}")
        lines.append("where the seconds went (from each kill):")
        for kill, end in zip(self.kills, [k.at for k in self.kills[1:]] + [float("inf")]):
            lines.append(f"  {kill.process}: {failures_after(self.customers, kill.at, end)}")
            unwritable = self.redis_probe.unwritable(kill.at, end) if self.redis_probe else None
            if unwritable:
                lines.append(f"    Redis through HAProxy took no write from +{unwritable[0] - kill.at:.1f} "
                             f"to +{unwritable[1] - kill.at:.1f} s")
            lines.append(f"    slowest: {slowest_conversation(self.customers, kill.at)}")
        lines += [f"PROBLEM: {problem}" for problem in self.problems] or ["no acknowledged message lost, no reply "
                                                                          "duplicated, every live stream complete"]
        lines.append("PASSED" if self.passed else f"FAILED (or a conversation waited over {ANSWERED_AGAIN_S:.0f} s)")
        return "\n".join(lines)


def check_conversation(customer: Customer, history: list[dict[str, object]]) -> list[str]:
    """What the customer was told against what the conversation holds."""
    problems = [f"{customer.conversation_id[:8]}: refused {refused}" for refused in customer.refused]
    said = [m for m in history if m["kind"] == "customer"]
    acknowledged = [t.message_id for t in customer.turns]
    if [m["id"] for m in said] != acknowledged:
        problems.append(f"{customer.conversation_id[:8]}: customer messages {[m['id'] for m in said]} "
                        f"!= acknowledged {acknowledged}")
    for turn in customer.turns:
        ids = [m["id"] for m in history]
        if turn.message_id not in ids:
            continue  # reported above
        after = history[ids.index(turn.message_id) + 1:]
        replies = next((i for i, m in enumerate(after) if m["kind"] == "customer"), len(after))
        if replies != turn.replies:
            problems.append(f"{customer.conversation_id[:8]}: {turn.text!r} has {replies} bot messages stored, "
                            f"{turn.replies} acknowledged (a reply duplicated or lost)")
    if customer.streamed != [m["id"] for m in history]:
        repeated = sorted({(i, n) for i, n in zip(customer.streamed, customer.stream_connections)
                           if customer.streamed.count(i) > 1})  # (id, connection number)
        missing = [m["id"] for m in history if m["id"] not in customer.streamed]
        problems.append(f"{customer.conversation_id[:8]}: live stream gave {len(customer.streamed)} messages, "
                        f"the conversation holds {len(history)}; repeated {repeated}, missing {missing}")
    return problems


async def _caught_up(customers: list[Customer], http: httpx.AsyncClient) -> dict[str, list[dict[str, object]]]:
    histories = {c.conversation_id: await c.history(http) for c in customers}
    deadline = time.monotonic() + CATCH_UP_S
    while time.monotonic() < deadline and any(
            len(c.streamed) < len(histories[c.conversation_id]) for c in customers):
        await asyncio.sleep(0.5)
    return histories


async def drive(cluster: Cluster, customers_count: int, pause_s: float, settle_s: float,
                kills: tuple[str, ...] = KILLS) -> Report:
    limits = httpx.Limits(max_connections=customers_count * 3, max_keepalive_connections=customers_count * 2)
    async with httpx.AsyncClient(base_url=cluster.url, timeout=30, limits=limits) as http:
        customers = [await new_customer(http) for _ in range(customers_count)]
        stop = asyncio.Event()
        probe = RedisProbe(cluster.ports.redis)
        probing = asyncio.create_task(probe.run())
        listening = [asyncio.create_task(c.listen(http)) for c in customers]
        chatting = [asyncio.create_task(c.chat(http, pause_s, stop)) for c in customers]
        done: list[Kill] = []
        for process in kills:
            await asyncio.sleep(settle_s)
            name = cluster.redis_primary() if process == "redis primary" else process
            killed_at = time.monotonic()  # before the signal: a failure it causes comes after
            await asyncio.to_thread(cluster.stack.kill, name)
            done.append(Kill(f"{process} ({name})" if name != process else process, killed_at))
            print(f"killed {name}", flush=True)
        await asyncio.sleep(settle_s)
        stop.set()
        await asyncio.gather(*chatting)
        histories = await _caught_up(customers, http)
        for task in [*listening, probing]:
            task.cancel()
        await asyncio.gather(*listening, probing, return_exceptions=True)
    report = Report(customers, done, probe)
    for customer in customers:
        report.problems += check_conversation(customer, histories[customer.conversation_id])
    return report


async def run_drill(workdir: Path, base_port: int, customers: int, pause_s: float, settle_s: float) -> Report:
    """On a fresh Redis each time; the Chroma server's folder is kept (ingesting and calibrating take minutes)."""
    for folder in workdir.glob("redis*/"):
        shutil.rmtree(folder)
    cluster = await asyncio.to_thread(start_cluster, workdir, base_port, None, False)
    try:
        return await drive(cluster, customers, pause_s, settle_s)
    finally:
        await asyncio.to_thread(cluster.stop)
