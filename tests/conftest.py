"""Shared fixtures: a real Chroma index of the sample help centre and a small published help centre,
each built once per session; a real Redis, emptied per test; the order the session runs its tests in."""
from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
from redis.asyncio import Redis

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from knowledge.articles import load_folder  # noqa: E402
from knowledge.embeddings import make_embeddings  # noqa: E402
from knowledge.answering.engine import KnowledgeEngine  # noqa: E402
from knowledge.index.ingest import ingest  # noqa: E402
from knowledge.answering.service import KnowledgeService  # noqa: E402
from knowledge.settings import SAMPLE_KB, KnowledgeSettings  # noqa: E402
from knowledge.store import make_client  # noqa: E402
from handoff.connection import connect  # noqa: E402
from tests.knowledge.helpers import SMALL_KB_FILES, cli  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The quick tests first; then those that drive the session's one stack (`e2e`), through a browser
    after the others (`browser`); last those that publish to the stack's help centre (`publishes`), so
    that every other test meets it as published."""
    order = ("e2e", "publishes", "browser")
    items.sort(key=lambda item: tuple(item.get_closest_marker(name) is not None for name in order))


@pytest.fixture(scope="session")
def sample_index_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A persistent Chroma folder holding the sample knowledge base."""
    path = tmp_path_factory.mktemp("sample-chroma")
    settings = KnowledgeSettings(chroma_path=path)
    loaded = load_folder(SAMPLE_KB)
    assert not loaded.problems, loaded.problems
    ingest(loaded.articles, make_client(settings), settings.collection_name, make_embeddings(settings), show_progress=False)
    return path


@pytest.fixture(scope="session")
def sample_service(sample_index_path: Path) -> KnowledgeService:
    return KnowledgeService(KnowledgeSettings(chroma_path=sample_index_path))


@pytest.fixture(scope="session")
def sample_engine(sample_service: KnowledgeService) -> KnowledgeEngine:
    return sample_service.engine()


@pytest.fixture(scope="session")
def small_kb_v1(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Six articles of the sample help centre (folder, Chroma folder), published as v1 by alice by the
    CLI in its own process. Shared: a test that publishes or edits copies both first."""
    root = tmp_path_factory.mktemp("small-kb-v1")
    folder = root / "kb"
    folder.mkdir()
    for file in SMALL_KB_FILES:
        shutil.copy(file, folder / file.name)
    done = cli("publish", str(folder), "--author", "alice", chroma=root / "chroma")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return folder, root / "chroma"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """A real Redis, emptied before each test."""
    redis.Redis(port=redis_server.port).flushall()
    return redis_server.url


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[Redis]:
    """A client of the test's Redis, as the web app and the action server connect."""
    client = connect(redis_url)
    yield client
    await client.aclose()
