"""Which knowledge-base version the bot answers from, told to the editor pages through Redis.

A publish is live for the content team when the bot answers from it, not when it is recorded:
each action-server process runs a watcher thread that loads a new version as soon as it is
published (rather than on the next customer's question, which the previous version would answer
meanwhile) and writes the version it answers from, every second, into one Redis hash
(knowledge/redis_keys.py: answering). The web app compares the fresh entries with the head.
"""
from __future__ import annotations

import atexit
import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from redis import Redis
from redis.exceptions import RedisError

from knowledge.redis_keys import answering

if TYPE_CHECKING:  # the web app reads the reports without importing what answers
    from knowledge.answering.service import KnowledgeService

logger = logging.getLogger(__name__)

REPORT_EVERY_S = 1.0
# An entry older than this is a process that stopped: it no longer counts.
FRESH_S = 10.0


class BotState(str, Enum):
    READY = "ready"  # every running action server answers from the live version
    LOADING = "loading"  # some still answer from an earlier one
    UNKNOWN = "unknown"  # no action server reported (none runs, or an older one)


@dataclass(frozen=True)
class Report:
    kb_version: str
    at_ms: int


def process_tag() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def write_report(redis: Redis, collection: str, kb_version: str, tag: str | None = None) -> None:
    key = answering(collection)
    redis.hset(key, tag or process_tag(), json.dumps({"kb_version": kb_version, "at_ms": int(time.time() * 1000)}))
    redis.pexpire(key, int(FRESH_S * 1000 * 6))


def fresh_reports(redis: Redis, collection: str, fresh_s: float = FRESH_S) -> list[Report]:
    now_ms = int(time.time() * 1000)
    reports = []
    for raw in redis.hvals(answering(collection)):
        try:
            fields = json.loads(raw)
            report = Report(str(fields["kb_version"]), int(fields["at_ms"]))
        except (ValueError, KeyError, TypeError):
            continue
        if now_ms - report.at_ms <= fresh_s * 1000:
            reports.append(report)
    return reports


def bot_state(reports: list[Report], live_kb_version: str | None) -> BotState:
    if not reports or live_kb_version is None:
        return BotState.UNKNOWN
    return BotState.READY if all(r.kb_version == live_kb_version for r in reports) else BotState.LOADING


@dataclass
class Watcher:
    """The running watcher thread; stopped before the interpreter exits (see watch)."""

    thread: threading.Thread
    stopping: threading.Event

    def stop(self, timeout_s: float = 10.0) -> None:
        self.stopping.set()
        self.thread.join(timeout_s)

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def watch(service: KnowledgeService, redis: Redis, every_s: float = REPORT_EVERY_S) -> Watcher:
    """Start the thread that loads each new version at once and reports the one answered from.

    A daemon thread left running at exit can be inside Chroma's or the embedder's native code while
    the process tears them down, which crashes it (a segmentation fault after a clean run): the
    watcher is stopped and joined at exit instead.
    """
    collection = service.settings.collection_name
    tag = process_tag()
    stopping = threading.Event()

    def run() -> None:
        while not stopping.is_set():
            try:
                service.latest_engine()  # loads a newly published version in this thread, never in a reply
                write_report(redis, collection, service.answering_version, tag)
            except RedisError as error:
                logger.warning("could not report the knowledge-base version answered from (%s)", error)
            except Exception:  # a broken version: the service keeps the previous one; try again
                logger.exception("knowledge-base watcher")
            stopping.wait(every_s)

    thread = threading.Thread(target=run, name="knowledge-watch", daemon=True)
    watcher = Watcher(thread, stopping)
    thread.start()
    atexit.register(watcher.stop)
    return watcher
