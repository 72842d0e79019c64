"""Drains the outbox (keys.INSIGHTS_EVENTS) into the SQL store. Several web apps may each run one: they
share a consumer group, so each event goes to one of them; a dead writer's unacknowledged events are
claimed by another after CLAIM_IDLE_MS. An event leaves Redis (XACK, XDEL) only once its row is committed,
so with the store down events wait in Redis and the stream's length is the count of those waiting."""
from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket

import anyio
from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy import Engine

from handoff.connection import raise_if_cancelled
from handoff.insights import metrics
from handoff.insights.store import row_of, write_events
from knowledge import redis_keys as keys

log = logging.getLogger(__name__)

BATCH = 500
CLAIM_IDLE_MS = 60_000
RETRY_S = 2.0

Entry = tuple[str, dict[str, str] | None]


class OutboxWriter:
    def __init__(self, redis: Redis, engine: Engine, consumer: str | None = None, batch: int = BATCH,
                 claim_idle_ms: int = CLAIM_IDLE_MS) -> None:
        self.redis = redis
        self.engine = engine
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.batch = batch
        self.claim_idle_ms = claim_idle_ms
        self.store_up = True
        self._group_made = False

    async def ensure_group(self) -> None:
        if self._group_made:
            return
        try:
            await self.redis.xgroup_create(keys.INSIGHTS_EVENTS, keys.INSIGHTS_WRITERS, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._group_made = True

    async def _next_entries(self, block_ms: int | None) -> list[Entry]:
        """This writer's own unacknowledged entries first (a failed write), then a dead writer's, then new ones."""
        for start in ("0", None, ">"):
            if start is None:
                claimed = await self.redis.xautoclaim(keys.INSIGHTS_EVENTS, keys.INSIGHTS_WRITERS, self.consumer,
                                                      self.claim_idle_ms, "0-0", count=self.batch)
                entries = list(claimed[1])
            else:
                read = await self.redis.xreadgroup(keys.INSIGHTS_WRITERS, self.consumer, {keys.INSIGHTS_EVENTS: start},
                                                   count=self.batch, block=block_ms if start == ">" else None)
                entries = [entry for _, stream_entries in read for entry in stream_entries]
            if entries:
                return entries
        return []

    async def write_once(self, block_ms: int | None = None) -> int:
        """Write one batch; the number of events it held. Raises when the SQL store is unreachable."""
        await self.ensure_group()
        try:
            entries = await self._next_entries(block_ms)
        except ResponseError as error:
            if "NOGROUP" in str(error):  # Redis lost its data (flushed, restarted without persistence)
                self._group_made = False
            raise
        if not entries:
            return 0
        rows = []
        for entry_id, fields in entries:
            if not fields:
                continue  # deleted meanwhile: nothing to write
            try:
                rows.append(row_of(entry_id, fields))
            except (KeyError, ValueError) as error:
                log.error("insights: event %s unreadable, dropped: %s (%s)", entry_id, error, fields)
        await anyio.to_thread.run_sync(write_events, self.engine, rows)
        ids = [entry_id for entry_id, _ in entries]
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(keys.INSIGHTS_EVENTS, keys.INSIGHTS_WRITERS, *ids)
            pipe.xdel(keys.INSIGHTS_EVENTS, *ids)
            await pipe.execute()
        metrics.EVENTS_WRITTEN.inc(len(rows))
        return len(entries)

    async def write_all(self) -> int:
        """Everything waiting, now (tests, the simulated day); raises when the store is unreachable."""
        written = 0
        while count := await self.write_once():
            written += count
        return written

    async def run(self, block_ms: int = 1000, retry_s: float = RETRY_S) -> None:
        """Until cancelled: the store or Redis down is logged once, and tried again every `retry_s`."""
        while True:
            try:
                await self.write_once(block_ms)
                if not self.store_up:
                    log.info("insights: the SQL store is back; writing the waiting events")
                self.store_up = True
            except Exception as error:
                raise_if_cancelled()
                if self.store_up:
                    log.warning("insights: events not written (they wait in Redis): %s", error)
                self.store_up = False
                await asyncio.sleep(retry_s)


async def waiting_events(redis: Redis) -> int:
    """Events recorded and not yet written to the SQL store."""
    return int(await redis.xlen(keys.INSIGHTS_EVENTS))


async def lost_events(redis: Redis) -> int:
    return int(await redis.get(keys.INSIGHTS_LOST) or 0)
