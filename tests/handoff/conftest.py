"""Handoff tests: the store on the real Redis (redis_client, from tests/conftest.py), and the web app with Rasa faked."""
from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from handoff.agents import Agent, mark_present, save_agent
from handoff.conversations import ConversationStore
from handoff.settings import HandoffSettings
from tests.handoff.fake_rasa import FakeRasa

PASSWORD = "correct horse"
MAX_MESSAGE_CHARS = 200


@pytest.fixture
def store(redis_client: Redis) -> ConversationStore:
    return ConversationStore(redis_client, HandoffSettings())


async def online_agent(redis: Redis, username: str, languages: list[str], name: str | None = None) -> Agent:
    agent = await save_agent(redis, username, PASSWORD, name or username.title(), languages)
    await mark_present(redis, username)
    return agent


@pytest.fixture
def fake_rasa() -> FakeRasa:
    return FakeRasa()


def _web_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings of the `web` app beyond the tests' defaults: those of a `web_settings` fixture, where a
    test module has one (modules elsewhere import `web` alone)."""
    try:
        return request.getfixturevalue("web_settings")
    except pytest.FixtureLookupError:
        return {}


@pytest.fixture
async def web(redis_url: str, fake_rasa: FakeRasa, tmp_path: Path, request: pytest.FixtureRequest,
              monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    """The web app, lifespan and all, on a real Redis; its calls to Rasa answered by `fake_rasa`."""
    monkeypatch.setenv("CHROMA_PATH", str(tmp_path / "chroma"))  # the content team's pages, unused here
    monkeypatch.delenv("CHROMA_HOST", raising=False)
    monkeypatch.setenv("EDITOR_DRAFTS_PATH", str(tmp_path / "drafts"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'insights.db'}")  # not the repo's var/
    from handoff.web.main import create_app  # here: the store's tests need none of the web app

    settings = HandoffSettings(redis_url=redis_url, rasa_url="http://rasa.test", actions_url="http://actions.test",
                               max_message_chars=MAX_MESSAGE_CHARS, **_web_settings(request))
    app = create_app(settings, http_transport=fake_rasa.transport())
    async with app.router.lifespan_context(app):
        # Served over HTTPS, as in production: the session cookie is Secure.
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://testserver") as client:
            yield client
