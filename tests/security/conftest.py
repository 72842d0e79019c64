"""Security tests: the web app served over real HTTP (uvicorn, in the test's event loop) on a real
Redis, its calls to Rasa answered by the fake Rasa of tests/handoff."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from handoff.settings import HandoffSettings
from ops.stack import free_port
from tests.handoff.conftest import fake_rasa  # noqa: F401  (the fixture, shared)
from tests.handoff.fake_rasa import FakeRasa

ServedWeb = Callable[..., AbstractAsyncContextManager[str]]


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
        settings = HandoffSettings(redis_url=redis_url, rasa_url="http://rasa.test", actions_url="http://actions.test",
                                   **overrides)
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
