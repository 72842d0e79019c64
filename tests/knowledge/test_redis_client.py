"""The synchronous Redis clients (rq's content queue and worker, the unanswered questions' stream) connect
as the handoff's asynchronous ones do: a 2 s connect timeout and the same retries (knowledge/redis_client.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from knowledge.publishing import tasks, worker
from knowledge.publishing.jobs import location
from knowledge.redis_client import CONNECT_TIMEOUT_S, RETRIES, connect_sync
from knowledge.settings import KnowledgeSettings
from knowledge.unanswered.events import UnansweredStore
from ops.stack import free_port


def assert_connects_as_the_project_does(client: Redis) -> None:
    assert client.connection_pool.connection_kwargs["socket_connect_timeout"] == CONNECT_TIMEOUT_S
    assert client.get_retry().get_retries() == RETRIES


def test_a_sync_client_to_a_redis_nobody_answers_fails_after_its_retries() -> None:
    client = connect_sync(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    assert_connects_as_the_project_does(client)
    with pytest.raises(RedisConnectionError):
        client.ping()


def test_the_unanswered_stream_and_the_content_tasks_connect_with_the_timeout(redis_url: str, tmp_path: Path) -> None:
    settings = KnowledgeSettings(redis_url=redis_url, chroma_path=tmp_path / "chroma")
    store = UnansweredStore.from_settings(settings)
    assert_connects_as_the_project_does(store.redis)
    assert store.redis.ping()
    work = tasks.content_work(location(settings))
    assert_connects_as_the_project_does(work.unanswered.redis)


def test_the_content_worker_connects_with_the_timeout(redis_url: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("CHROMA_PATH", str(tmp_path / "chroma"))
    monkeypatch.setattr(worker, "warm_up", lambda settings: None)  # the embedding model: not what is tested
    built: list[Redis] = []
    monkeypatch.setattr(worker, "connect_sync", lambda url: built.append(connect_sync(url)) or built[-1])
    assert worker.main(["--burst"]) == 0  # nothing queued: it connects, finds no job, and stops
    assert len(built) == 1
    assert_connects_as_the_project_does(built[0])
