"""Security tests: the web app, lifespan and all, on the real Redis (tests/conftest.py), its calls to
Rasa answered by tests/handoff/fake_rasa.py, built with the settings each test needs."""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from handoff.settings import HandoffSettings
from tests.handoff.fake_rasa import FakeRasa

WebApp = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def web_app(redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WebApp:
    """web_app(**settings) opens a client of the app served over HTTPS at https://chat.test, as a
    browser or script from `client` (an address; 127.0.0.1 by default) would reach it."""
    monkeypatch.setenv("CHROMA_PATH", str(tmp_path / "chroma"))
    monkeypatch.delenv("CHROMA_HOST", raising=False)
    monkeypatch.setenv("EDITOR_DRAFTS_PATH", str(tmp_path / "drafts"))
    from handoff.web.main import create_app  # here: importing it reads no settings

    @asynccontextmanager
    async def open_app(client: str = "127.0.0.1", **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        settings = HandoffSettings(redis_url=redis_url, rasa_url="http://rasa.test", actions_url="http://actions.test",
                                   **overrides)
        app = create_app(settings, http_transport=FakeRasa().transport())
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=(client, 40000))
            async with httpx.AsyncClient(transport=transport, base_url="https://chat.test") as http:
                yield http

    return open_app
