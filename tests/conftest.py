"""Shared fixtures: a real Chroma index of the sample help centre, built once per session."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from knowledge.articles import load_folder  # noqa: E402
from knowledge.embeddings import make_embeddings  # noqa: E402
from knowledge.answering.engine import KnowledgeEngine  # noqa: E402
from knowledge.index.ingest import ingest  # noqa: E402
from knowledge.answering.service import KnowledgeService  # noqa: E402
from knowledge.settings import SAMPLE_KB, KnowledgeSettings  # noqa: E402
from knowledge.store import make_client  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402


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
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """A real Redis, emptied before each test."""
    redis.Redis(port=redis_server.port).flushall()
    return redis_server.url
