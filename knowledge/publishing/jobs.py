"""The content team's jobs on Redis (rq): the web app enqueues them, the content worker runs them.

Everything that needs the embedding model runs in the worker (knowledge/publishing/worker.py), so
that the web app stays I/O-bound. Two kinds of job, on one queue:

- long ones (check, publish, rollback, thresholds: answer thresholds set as a new version): one at a time. While one is queued or running, another is
  refused (JobBusy, naming who runs what); the page polls the job's state. A job, its state and
  its result stay in Redis for an hour: they outlive a restart of the web app that started it.
- quick ones (preview, the clusters of unanswered questions, the live articles, an article made
  from a cluster): queued ahead of the long ones, and the request waits for the answer.

Only rq's own keys (rq:*); arguments and results are JSON. A job names the knowledge base and
the draft workspace it is about (the web app's settings); the worker's own settings say the rest.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

import anyio
from redis import Redis, WatchError
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.results import Result
from rq.serializers import JSONSerializer

from knowledge.settings import KnowledgeSettings

QUEUE = "content"
TASKS = "knowledge.publishing.tasks"  # the functions the worker runs, by name: the web app never imports them
LONG_KINDS = ("check", "publish", "rollback", "thresholds")
KEEP_JOB_S = 3600
QUICK_KEEP_S = 60
# A preview of a changed draft calibrates it first: seconds here, minutes on a large knowledge base.
QUICK_WAIT_S = 600
# Waiting for a result blocks on Redis in slices shorter than the client's socket timeout (5 s).
WAIT_SLICE_S = 2
# What a job carries of the web app's settings: where the knowledge base and the draft workspace are.
LOCATION_FIELDS = ("chroma_path", "chroma_host", "chroma_port", "collection_name", "editor_drafts_path")


class JobState(str, Enum):
    RUNNING = "running"  # queued or running: the page waits either way
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class ContentJob:
    id: str
    kind: str  # one of LONG_KINDS
    editor: str
    state: JobState
    started_ms: int  # when it was accepted
    queued: bool = False  # accepted, not yet taken by a worker
    finished_ms: int | None = None
    result: dict[str, Any] | None = None
    error: str | None = None

    def public(self) -> dict[str, Any]:
        now = self.finished_ms or int(time.time() * 1000)
        return {"id": self.id, "kind": self.kind, "editor": self.editor, "state": self.state.value,
                "seconds": round((now - self.started_ms) / 1000, 1), "result": self.result, "error": self.error}


class JobBusy(RuntimeError):
    def __init__(self, running: ContentJob) -> None:
        self.running = running
        status = "waiting to run" if running.queued else "running"
        super().__init__(f"a {running.kind} by {running.editor} is {status}: wait until it has finished, then try again")


class JobRefused(RuntimeError):
    """A quick job the worker refused: the class name of its error (a WorkspaceError there) and its message."""

    def __init__(self, error: str, detail: str) -> None:
        self.error = error
        super().__init__(detail)


class JobFailed(RuntimeError):
    """A quick job failed in the worker (the message is the worker's error)."""


class WorkerUnavailable(RuntimeError):
    """No content worker answered in time."""


def location(settings: KnowledgeSettings) -> dict[str, Any]:
    fields = settings.model_dump(mode="json", include=set(LOCATION_FIELDS))
    return {name: fields[name] for name in LOCATION_FIELDS}


def content_queue(redis: Redis) -> Queue:
    return Queue(QUEUE, connection=redis, serializer=JSONSerializer)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _view(job: Job) -> ContentJob:
    status = job.get_status(refresh=False)
    meta = job.meta
    started = _ms(job.enqueued_at or job.created_at)
    if status == JobStatus.FINISHED:
        return ContentJob(job.id, meta["kind"], meta["editor"], JobState.DONE, started,
                          finished_ms=_ms(job.ended_at) if job.ended_at else None, result=job.return_value())
    if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        error = meta.get("error") or _last_line(job.exc_info, f"the job was {status.value}")
        return ContentJob(job.id, meta["kind"], meta["editor"], JobState.FAILED, started,
                          finished_ms=_ms(job.ended_at) if job.ended_at else None, error=error)
    return ContentJob(job.id, meta["kind"], meta["editor"], JobState.RUNNING, started,
                      queued=status != JobStatus.STARTED)


class ContentJobs:
    """The web app's side: enqueue, read, wait. The methods are async; rq's calls run in a thread."""

    def __init__(self, redis: Redis, settings: KnowledgeSettings) -> None:
        self.redis = redis
        self.queue = content_queue(redis)
        self.location = location(settings)

    async def start(self, kind: str, editor: str, **arguments: Any) -> ContentJob:
        """Enqueue a long job, or raise JobBusy while another long job is queued or running."""
        if kind not in LONG_KINDS:
            raise ValueError(f"{kind}: not a long job ({', '.join(LONG_KINDS)})")
        return await anyio.to_thread.run_sync(self._start, kind, editor, arguments)

    async def get(self, job_id: str) -> ContentJob | None:
        return await anyio.to_thread.run_sync(self._get, job_id)

    async def ask(self, kind: str, **arguments: Any) -> Any:
        """Run a quick job and return its answer; raises JobRefused, JobFailed or WorkerUnavailable."""
        return await anyio.to_thread.run_sync(self._ask, kind, arguments)

    # ------------------------------------------------------------ in a thread
    def _get(self, job_id: str) -> ContentJob | None:
        try:
            job = Job.fetch(job_id, connection=self.redis, serializer=JSONSerializer)
        except NoSuchJobError:
            return None
        return _view(job) if job.meta.get("kind") in LONG_KINDS else None

    def _long_job_in_progress(self) -> ContentJob | None:
        started = StartedJobRegistry(queue=self.queue)
        ids = [*self.redis.lrange(self.queue.intermediate_queue_key, 0, -1), *self.redis.lrange(self.queue.key, 0, -1)]
        # The registry's clean-up first fails the jobs of a worker that died (its heartbeat expired).
        ids = [*started.get_job_ids(), *(i.decode() for i in ids)]
        for job in Job.fetch_many(list(dict.fromkeys(ids)), connection=self.redis, serializer=JSONSerializer):
            if job is not None and job.meta.get("kind") in LONG_KINDS:
                view = _view(job)
                if view.state is JobState.RUNNING:
                    return view
        return None

    def _start(self, kind: str, editor: str, arguments: dict[str, Any]) -> ContentJob:
        # Checked and enqueued in one transaction: the queue, the worker's intermediate list and
        # the started registry are watched, so that two editors clicking at once cannot both start.
        watched = (self.queue.key, self.queue.intermediate_queue_key, StartedJobRegistry(queue=self.queue).key)
        with self.redis.pipeline() as transaction:
            while True:
                try:
                    transaction.watch(*watched)
                    running = self._long_job_in_progress()
                    if running is not None:
                        raise JobBusy(running)
                    transaction.multi()
                    job = self.queue.enqueue_call(
                        f"{TASKS}.{kind}", kwargs={"where": self.location, **arguments},
                        job_id=secrets.token_hex(8), meta={"kind": kind, "editor": editor},
                        timeout=-1, result_ttl=KEEP_JOB_S, failure_ttl=KEEP_JOB_S, pipeline=transaction,
                    )
                    transaction.execute()
                    return _view(job)
                except WatchError:
                    continue

    def _ask(self, kind: str, arguments: dict[str, Any]) -> Any:
        job = self.queue.enqueue_call(
            f"{TASKS}.{kind}", kwargs={"where": self.location, **arguments}, meta={"kind": kind},
            timeout=QUICK_WAIT_S, result_ttl=QUICK_KEEP_S, failure_ttl=QUICK_KEEP_S, at_front=True,
        )
        deadline = time.monotonic() + QUICK_WAIT_S
        result = job.latest_result(timeout=WAIT_SLICE_S)
        while result is None and time.monotonic() < deadline:
            result = job.latest_result(timeout=WAIT_SLICE_S)
        if result is None:
            job.cancel()
            raise WorkerUnavailable(
                f"no content worker answered within {QUICK_WAIT_S} s: is one running (python -m knowledge.publishing.worker)?")
        if result.type == Result.Type.SUCCESSFUL:
            return result.return_value
        meta = job.get_meta(refresh=True)
        if "refused" in meta:
            raise JobRefused(meta["refused"], meta["detail"])
        raise JobFailed(meta.get("error") or _last_line(result.exc_string, "the job failed"))


def _last_line(text: str | None, default: str) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else default
