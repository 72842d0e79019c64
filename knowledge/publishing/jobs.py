"""Long knowledge-base jobs of the editor pages (check, publish, roll back): one at a time, state in Redis.

A job runs in a worker thread so that the web app keeps serving; a Redis lock, renewed while
the job runs, makes a second job wait its turn in any web process (JobBusy). The job's state
(running, done, failed; what it found) is kept in Redis for an hour for the page to poll.
"""
from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from enum import Enum
from typing import Any

import anyio
from redis.asyncio import Redis

# The content team's Redis keys (knowledge/unanswered/stream.py holds the others).
LOCK = "content:jobs:lock"  # the running job's id; expires unless renewed
JOB_PREFIX = "content:job:"
LOCK_TTL_S = 60
RENEW_EVERY_S = 20
KEEP_JOB_S = 3600

# Deletes the lock only if it is still this job's (it may have expired and been taken).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class JobState(str, Enum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class Job:
    id: str
    kind: str  # check, publish, rollback
    editor: str
    state: JobState
    started_ms: int
    finished_ms: int | None = None
    result: dict[str, Any] | None = None
    error: str | None = None

    def public(self) -> dict[str, Any]:
        now = self.finished_ms or int(time.time() * 1000)
        return {"id": self.id, "kind": self.kind, "editor": self.editor, "state": self.state.value,
                "seconds": round((now - self.started_ms) / 1000, 1), "result": self.result, "error": self.error}


class JobBusy(RuntimeError):
    def __init__(self, running: Job | None) -> None:
        self.running = running
        what = f"a {running.kind} by {running.editor} is running" if running else "another job is running"
        super().__init__(f"{what}: wait until it has finished, then try again")


def _job_key(job_id: str) -> str:
    return f"{JOB_PREFIX}{job_id}"


class ContentJobs:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._tasks: set[asyncio.Task[None]] = set()

    async def get(self, job_id: str) -> Job | None:
        raw = await self.redis.get(_job_key(job_id))
        if raw is None:
            return None
        fields = json.loads(raw)
        return Job(**{**fields, "state": JobState(fields["state"])})

    async def running(self) -> Job | None:
        job_id = await self.redis.get(LOCK)
        return await self.get(job_id) if job_id else None

    async def start(self, kind: str, editor: str, work: Callable[[], dict[str, Any]]) -> Job:
        """Start `work` in a worker thread, or raise JobBusy if another job holds the lock."""
        job = Job(secrets.token_hex(8), kind, editor, JobState.RUNNING, int(time.time() * 1000))
        if not await self.redis.set(LOCK, job.id, nx=True, ex=LOCK_TTL_S):
            raise JobBusy(await self.running())
        await self._save(job)
        task = asyncio.create_task(self._run(job, work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def wait_all(self) -> None:
        """For shutting down: let running jobs finish."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _save(self, job: Job) -> None:
        fields = {**job.__dict__, "state": job.state.value}
        await self.redis.set(_job_key(job.id), json.dumps(fields), ex=KEEP_JOB_S)

    async def _renew(self, job_id: str) -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY_S)
            await self.redis.set(LOCK, job_id, xx=True, ex=LOCK_TTL_S)

    async def _run(self, job: Job, work: Callable[[], dict[str, Any]]) -> None:
        renewer = asyncio.create_task(self._renew(job.id))
        try:
            result = await anyio.to_thread.run_sync(work)
            finished = Job(job.id, job.kind, job.editor, JobState.DONE, job.started_ms, int(time.time() * 1000), result)
        except Exception as error:  # the editor sees what went wrong; the job never stays "running"
            finished = Job(job.id, job.kind, job.editor, JobState.FAILED, job.started_ms, int(time.time() * 1000),
                           error=f"{type(error).__name__}: {error}")
        finally:
            renewer.cancel()
            with suppress(asyncio.CancelledError):
                await renewer
        await self._save(finished)
        await self.redis.eval(_RELEASE, 1, LOCK, job.id)
