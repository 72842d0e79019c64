"""One Redis reader per web process for all its live streams: a single `XREAD BLOCK` on a connection
of its own, over every stream key a subscriber watches, fanned out to the subscribers' queues.
An open widget or console then costs a queue in memory, not a Redis connection from the shared pool.

A subscriber watches a key from an id: the entries it missed (after that id) are read in pages
from the shared pool, then the live ones come from the hub; ids already handed over are skipped,
so nothing is lost or repeated. A subscriber that falls `backlog` batches behind is dropped
(`SlowSubscriber`): its client reconnects from the last id it got (Last-Event-ID) and misses nothing.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from redis.asyncio import Redis
from redis.exceptions import RedisError

from handoff.connection import raise_if_cancelled

log = logging.getLogger(__name__)

Entry = tuple[str, dict[str, str]]  # (stream id, fields)

# Under the Redis client's socket timeout, and short enough that a reader gone wrong recovers quickly.
BLOCK_MS = 4_000
READ_COUNT = 200  # entries per key and read
CATCH_UP_PAGE = 200
DEFAULT_BACKLOG = 100  # batches a subscriber may leave unread before it is dropped
# Interrupting a read that the new key missed: CLIENT UNBLOCK finds nothing to unblock until the
# XREAD has reached Redis; retried this often before the read is left to time out on its own.
UNBLOCK_ATTEMPTS = 25
UNBLOCK_RETRY_S = 0.004


class SlowSubscriber(Exception):
    """The subscriber left too many batches unread and was dropped."""


def stream_id_order(entry_id: str) -> tuple[int, int]:
    milliseconds, _, sequence = entry_id.partition("-")
    return int(milliseconds), int(sequence or 0)


class Subscription:
    """What one live stream watches, and the entries waiting for it. Made by `StreamHub.subscription()`."""

    def __init__(self, hub: StreamHub, backlog: int) -> None:
        self._hub = hub
        self._batches: asyncio.Queue[tuple[str, list[Entry]]] = asyncio.Queue(backlog)
        self._after: dict[str, str] = {}  # per watched key: the last id handed to the reader
        self._catching_up: list[str] = []  # keys with missed entries still to read from the pool
        self.dropped = False

    def watching(self, key: str) -> bool:
        return key in self._after

    async def watch(self, key: str, after: str | None = None) -> None:
        """Entries of `key` after the id `after` ("0": all of them; None: only those added from now on)."""
        position = await self._hub._add_watcher(key, self)
        if after is None:
            self._after[key] = position
        else:
            self._after[key] = after
            self._catching_up.append(key)

    def unwatch(self, key: str) -> None:
        self._hub._remove_watcher(key, self)
        self._after.pop(key, None)
        if key in self._catching_up:
            self._catching_up.remove(key)

    async def next(self, timeout_s: float | None = None) -> tuple[str, list[Entry]] | None:
        """The next entries of one watched key, oldest first; None when `timeout_s` passes first."""
        if self.dropped:
            raise SlowSubscriber("too many unread entries")
        while self._catching_up:
            key = self._catching_up[0]
            after = self._after[key]
            entries = await self._hub.redis.xrange(key, min="-" if after == "0" else f"({after}", count=CATCH_UP_PAGE)
            if len(entries) < CATCH_UP_PAGE:
                self._catching_up.pop(0)
            if entries:
                self._after[key] = entries[-1][0]
                return key, entries
        loop = asyncio.get_running_loop()
        deadline = None if timeout_s is None else loop.time() + timeout_s
        while True:
            if self.dropped:
                raise SlowSubscriber("too many unread entries")
            try:
                remaining = None if deadline is None else max(deadline - loop.time(), 0)
                key, entries = await asyncio.wait_for(self._batches.get(), remaining)
            except TimeoutError:
                return None
            if key not in self._after:
                continue  # unwatched since
            seen = stream_id_order(self._after[key])
            fresh = [entry for entry in entries if stream_id_order(entry[0]) > seen]
            if fresh:
                self._after[key] = fresh[-1][0]
                return key, fresh

    def _deliver(self, key: str, entries: list[Entry]) -> bool:
        try:
            self._batches.put_nowait((key, entries))
        except asyncio.QueueFull:
            self.dropped = True
            return False
        return True

    def _watched_keys(self) -> list[str]:
        return list(self._after)


class StreamHub:
    """`redis`: the shared client (pages of missed entries, stream positions, CLIENT UNBLOCK);
    `reader`: a client with a connection of its own, for the blocking read."""

    def __init__(self, redis: Redis, reader: Redis, backlog: int = DEFAULT_BACKLOG, block_ms: int = BLOCK_MS) -> None:
        self.redis = redis
        self._reader = reader
        self._backlog = backlog
        self._block_ms = block_ms
        self._positions: dict[str, str] = {}  # watched key -> last id read
        self._watchers: dict[str, set[Subscription]] = {}
        self._keys_added = asyncio.Event()
        self._generation = 0  # bumped whenever a key starts being watched
        self._read_generation: int | None = None  # of the read in flight, if any
        self._reader_id: int | None = None
        self._unblocking: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def watched_keys(self) -> int:
        return len(self._positions)

    def start(self) -> None:
        self._task = asyncio.create_task(self._read_forever())

    async def stop(self) -> None:
        for task in (self._task, self._unblocking):
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task
        await self._reader.aclose()

    @asynccontextmanager
    async def subscription(self) -> AsyncIterator[Subscription]:
        subscription = Subscription(self, self._backlog)
        try:
            yield subscription
        finally:
            for key in subscription._watched_keys():
                self._remove_watcher(key, subscription)

    async def _add_watcher(self, key: str, subscription: Subscription) -> str:
        if key not in self._positions:
            latest = await self.redis.xrevrange(key, count=1)
            if key not in self._positions:  # nobody else started watching it meanwhile
                self._positions[key] = latest[0][0] if latest else "0-0"
                self._generation += 1
                self._interrupt_stale_read()
        self._watchers.setdefault(key, set()).add(subscription)
        return self._positions[key]

    def _remove_watcher(self, key: str, subscription: Subscription) -> None:
        watchers = self._watchers.get(key)
        if watchers is None:
            return
        watchers.discard(subscription)
        if not watchers:
            del self._watchers[key]
            del self._positions[key]  # the read in flight may still return it: ignored then

    def _interrupt_stale_read(self) -> None:
        self._keys_added.set()
        if self._unblocking is None or self._unblocking.done():
            self._unblocking = asyncio.create_task(self._unblock_stale_read())

    async def _unblock_stale_read(self) -> None:
        """The read in flight does not watch the new key: cut its wait short so that the next one does."""
        for _ in range(UNBLOCK_ATTEMPTS):
            if self._read_generation is None or self._read_generation >= self._generation or self._reader_id is None:
                return
            try:
                if await self.redis.client_unblock(self._reader_id):
                    return
            except RedisError:
                return
            await asyncio.sleep(UNBLOCK_RETRY_S)
        self._reader_id = None  # the reader may have reconnected under a new id: asked again before the next read

    async def _read_forever(self) -> None:
        while True:
            raise_if_cancelled()
            try:
                await self._read_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis restarting: the subscribers wait, and get what they missed afterwards
                raise_if_cancelled()
                log.exception("the live streams' reader failed; reading again in 1 s")
                self._reader_id = None
                await asyncio.sleep(1)

    async def _read_once(self) -> None:
        self._keys_added.clear()
        if not self._positions:
            await self._keys_added.wait()
            return
        if self._reader_id is None:
            self._reader_id = int(await self._reader.client_id())
        streams = dict(self._positions)
        self._read_generation = self._generation
        try:
            result = await self._reader.xread(streams, count=READ_COUNT, block=self._block_ms)
        finally:
            self._read_generation = None
        for key, entries in result or []:
            if key not in self._positions or not entries:
                continue
            if stream_id_order(entries[-1][0]) > stream_id_order(self._positions[key]):
                self._positions[key] = entries[-1][0]
            for subscription in list(self._watchers.get(key, ())):
                if not subscription._deliver(key, entries):
                    log.info("a live stream fell %d batches behind: dropped (its client reconnects)", self._backlog)
                    for watched in subscription._watched_keys():
                        self._remove_watcher(watched, subscription)
