"""Security tests: the web app, lifespan and all, on the real Redis (tests/conftest.py), its calls to
Rasa answered by tests/handoff/fake_rasa.py, built with the settings each test needs: in process
over HTTPS (`web_app`), or served over real HTTP by uvicorn (`served_web`: live streams cannot be
read through httpx's in-process transport, which buffers whole responses)."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from handoff.settings import HandoffSettings
from ops.stack import free_port
from tests.handoff.conftest import fake_rasa  # noqa: F401  (the fixture, shared)
from tests.handoff.fake_rasa import FakeRasa

ServedWeb = Callable[..., AbstractAsyncContextManager[str]]
WebApp = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def served_web(redis_url: str, fake_rasa: FakeRasa, tmp_path: Path,  # noqa: F811
               monkeypatch: pytest.MonkeyPatch) -> ServedWeb:
    """`async with served_web(**settings) as url`: the web app, lifespan and all, listening on 127.0.0.1."""
    monkeypatch.setenv("CHROMA_PATH", str(tmp_path / "chroma"))  # the content team's pages, unused here
    monkeypatch.delenv("CHROMA_HOST", raising=False)
    monkeypatch.setenv("EDITOR_DRAFTS_PATH", str(tmp_path / "drafts"))
    from handoff.web.main import create_app

    @asynccontextmanager
    async def serve(**overrides: Any) -> AsyncIterator[str]:
        # Every test client is 127.0.0.1: the rate limits (tests/security/test_rate_limits.py) stay off here.
        unlimited = {"messages_per_conversation": 0, "messages_per_address": 0, "conversations_per_address": 0}
        settings = HandoffSettings(redis_url=redis_url, rasa_url="http://rasa.test", actions_url="http://actions.test",
                                   **{**unlimited, **overrides})
        app = create_app(settings, http_transport=fake_rasa.transport())
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               timeout_graceful_shutdown=2))
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                serving.result()  # raises what stopped it
            await asyncio.sleep(0.02)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await serving

    return serve


@pytest.fixture
def web_app(redis_url: str, fake_rasa: FakeRasa, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WebApp:  # noqa: F811
    """web_app(**settings) opens a client of the app served over HTTPS at https://chat.test, as a
    browser or script from `client` (an address; 127.0.0.1 by default) would reach it. Every app the
    test opens calls the same `fake_rasa`."""
    monkeypatch.setenv("CHROMA_PATH", str(tmp_path / "chroma"))
    monkeypatch.delenv("CHROMA_HOST", raising=False)
    monkeypatch.setenv("EDITOR_DRAFTS_PATH", str(tmp_path / "drafts"))
    from handoff.web.main import create_app  # here: importing it reads no settings

    @asynccontextmanager
    async def open_app(client: str = "127.0.0.1", **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        settings = HandoffSettings(redis_url=redis_url, rasa_url="http://rasa.test", actions_url="http://actions.test",
                                   **overrides)
        app = create_app(settings, http_transport=fake_rasa.transport())
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=(client, 40000))
            async with httpx.AsyncClient(transport=transport, base_url="https://chat.test") as http:
                yield http

    return open_app
