"""The web app (ASGI): customer chat API and page, agent API, content team pages. Run: uvicorn handoff.web.main:create_app --factory"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from handoff.connection import connect
from handoff.conversations import ConversationStore
from handoff.rasa_client import RasaClient
from handoff.relay import HandoffRelay
from handoff.settings import HandoffSettings
from handoff.suggestions import SuggestionClient
from knowledge.publishing.jobs import ContentJobs
from handoff.web import agent_api, customer, editor_api, help_pages
from handoff.web.settings import WebSettings
from knowledge.publishing.workspace import ContentTeam, DraftWorkspace
from knowledge.settings import KnowledgeSettings
from knowledge.store import make_client

STATIC = Path(__file__).parent / "static"


def create_app(settings: WebSettings | None = None, handoff_settings: HandoffSettings | None = None) -> FastAPI:
    settings = settings or WebSettings()
    handoff_settings = handoff_settings or HandoffSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redis = connect(handoff_settings.redis_url)
        async with httpx.AsyncClient(timeout=settings.rasa_timeout_s) as http:
            store = ConversationStore(redis, handoff_settings)
            relay = HandoffRelay(store, RasaClient(http, settings.rasa_url, settings.rasa_token),
                                 SuggestionClient(http, settings.actions_url))
            app.state.http, app.state.redis, app.state.store, app.state.relay = http, redis, store, relay
            app.state.knowledge_settings = KnowledgeSettings()
            app.state.chroma = make_client(app.state.knowledge_settings)
            app.state.content_team = ContentTeam(
                DraftWorkspace.for_knowledge_base(app.state.knowledge_settings),
                app.state.knowledge_settings, app.state.chroma, handoff_settings.redis_url)
            app.state.content_jobs = ContentJobs(redis)
            releaser = asyncio.create_task(relay.run_release_loop(
                handoff_settings.max_wait_s, handoff_settings.presence_window_s, settings.release_every_s))
            try:
                yield
            finally:
                releaser.cancel()
                with suppress(asyncio.CancelledError):
                    await releaser
                await relay.drain()
                await redis.aclose()

    app = FastAPI(title="Self-care chat with human handoff", lifespan=lifespan)
    app.state.settings = settings
    app.state.handoff_settings = handoff_settings
    # The widget is embedded on the company's own site: customer calls come from another origin.
    # No credentials cross origins (the conversation id travels in the path), so agents' cookies never do.
    app.add_middleware(CORSMiddleware, allow_origins=settings.widget_origins, allow_credentials=False,
                       allow_methods=["GET", "POST"], allow_headers=["Content-Type", "Last-Event-ID"])
    app.include_router(customer.router)
    app.include_router(agent_api.router)
    app.include_router(help_pages.router)
    app.include_router(editor_api.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", tags=["ops"])
    async def health() -> dict[str, str]:
        try:
            response = await app.state.http.get(f"{settings.rasa_url}/")
            rasa = "up" if response.status_code == 200 else f"http {response.status_code}"
        except httpx.HTTPError:
            rasa = "down"
        try:
            redis = "up" if await app.state.redis.ping() else "down"
        except Exception:
            redis = "down"
        return {"web": "up", "rasa": rasa, "redis": redis}

    @app.get("/", include_in_schema=False)
    async def chat_page() -> FileResponse:
        return FileResponse(STATIC / "chat.html")

    @app.get("/demo", include_in_schema=False)
    async def demo_page() -> FileResponse:
        return FileResponse(STATIC / "demo.html")

    @app.get("/console", include_in_schema=False)
    async def console_page() -> FileResponse:
        return FileResponse(STATIC / "console.html")

    @app.get("/editor", include_in_schema=False)
    async def editor_page() -> FileResponse:
        return FileResponse(STATIC / "editor.html")

    @app.get("/widget.js", include_in_schema=False)
    async def widget_script() -> FileResponse:
        return FileResponse(STATIC / "widget.js", media_type="text/javascript")

    return app
