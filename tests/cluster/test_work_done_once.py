"""Work that must happen once, whatever the number of replicas: two web apps on one Redis release each
chat that waited too long once (the GIVE_UP_WAITING claim is one Lua script), and two content workers
on one queue run each job once (rq moves a job from the queue to a worker in one Redis command)."""
from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from redis import Redis
from rq import get_current_job

from handoff.conversations import ConversationStore
from handoff.settings import HandoffSettings
from knowledge.publishing.jobs import QUEUE, content_queue
from knowledge.settings import REPO_ROOT
from tests.handoff.fake_rasa import FakeRasa

pytestmark = pytest.mark.anyio
CHATS = 20
RUNS_KEY = "test:job-runs"


@pytest.fixture
def fake_rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
async def two_web_apps(redis_url: str, fake_rasa: FakeRasa, tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list]:
    """Two web app instances (lifespan and all: each runs its own release loop) on one Redis and one Rasa."""
    monkeypatch.setenv("CHROMA_PATH", str(tmp_path / "chroma"))
    monkeypatch.delenv("CHROMA_HOST", raising=False)
    monkeypatch.setenv("EDITOR_DRAFTS_PATH", str(tmp_path / "drafts"))
    from handoff.web.main import create_app

    # The loops' own rounds wait an hour: the test runs the rounds itself, both at once.
    settings = HandoffSettings(redis_url=redis_url, rasa_url="http://rasa.test", actions_url="http://actions.test",
                               release_every_s=3600)
    apps = [create_app(settings, http_transport=fake_rasa.transport()) for _ in range(2)]
    async with AsyncExitStack() as stack:
        for app in apps:
            await stack.enter_async_context(app.router.lifespan_context(app))
        yield apps


async def test_two_web_apps_release_each_chat_that_waited_too_long_once(
        two_web_apps: list, fake_rasa: FakeRasa) -> None:
    first, second = two_web_apps
    store: ConversationStore = first.state.store
    chats = []
    for _ in range(CHATS):
        conversation_id = await store.create()
        await first.state.relay.customer_says(conversation_id, "I want to talk to a person", "en")
        chats.append(conversation_id)
    assert len(await store.queue(None)) == CHATS

    released = await asyncio.gather(*(app.state.relay.release_unserved(max_wait_s=0, presence_window_s=0)
                                      for app in (first, second, first, second)))

    assert sorted(c for round_ in released for c in round_) == sorted(chats)  # each released by one round
    assert Counter(c for c, intent, _ in fake_rasa.triggered if intent == "EXTERNAL_no_agent") == Counter(chats)
    for conversation_id in chats:
        no_agent = [m for m in await store.messages(conversation_id)
                    if m.kind == "bot" and m.reply is not None and m.reply.get("outcome") == "no_agent"]
        assert len(no_agent) == 1, no_agent
        assert (await store.status(conversation_id)).owner.value == "bot"


def count_run(job_number: int) -> None:
    """The job the workers compete for: counts its runs, in the Redis of the worker running it."""
    get_current_job().connection.hincrby(RUNS_KEY, str(job_number), 1)
    time.sleep(0.2)  # long enough that both workers are taking jobs while the queue still holds some


def test_two_content_workers_run_each_job_once(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    queue = content_queue(redis)
    for number in range(CHATS):
        queue.enqueue(f"{__name__}.count_run", number)
    # As the content worker runs (knowledge/publishing/worker.py): a SimpleWorker on the content queue, JSON.
    command = [str(REPO_ROOT / ".venv-app/bin/rq"), "worker", "--burst", "--url", redis_url,
               "--worker-class", "rq.SimpleWorker", "--serializer", "rq.serializers.JSONSerializer", QUEUE]
    workers = [subprocess.Popen(command, cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    logs = [worker.communicate(timeout=120)[0] for worker in workers]

    assert all(worker.returncode == 0 for worker in workers), logs
    runs = {int(k): int(v) for k, v in redis.hgetall(RUNS_KEY).items()}
    assert runs == {number: 1 for number in range(CHATS)}
