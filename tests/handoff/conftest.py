from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from handoff.agents import Agent, mark_present, save_agent
from handoff.connection import connect
from handoff.conversations import ConversationStore
from handoff.settings import HandoffSettings


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[Redis]:
    client = connect(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def store(redis_client: Redis) -> ConversationStore:
    return ConversationStore(redis_client, HandoffSettings())


async def online_agent(redis: Redis, username: str, languages: list[str], name: str | None = None) -> Agent:
    agent = await save_agent(redis, username, "correct horse", name or username.title(), languages)
    await mark_present(redis, username)
    return agent
