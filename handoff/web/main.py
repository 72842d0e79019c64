"""The web app (ASGI): customer chat page and API. Run: uvicorn handoff.web.main:create_app --factory"""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.responses import FileResponse

from handoff.web import chat
from handoff.web.settings import WebSettings

STATIC = Path(__file__).parent / "static"


def create_app(settings: WebSettings | None = None) -> FastAPI:
    settings = settings or WebSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=settings.rasa_timeout_s) as http:
            app.state.http = http
            yield

    app = FastAPI(title="Self-care chat", lifespan=lifespan)
    app.state.settings = settings
    app.include_router(chat.router)

    @app.get("/healthz")
    async def health() -> dict[str, str]:
        try:
            response = await app.state.http.get(f"{settings.rasa_url}/")
            rasa = "up" if response.status_code == 200 else f"http {response.status_code}"
        except httpx.HTTPError:
            rasa = "down"
        return {"web": "up", "rasa": rasa}

    @app.get("/", include_in_schema=False)
    async def chat_page() -> FileResponse:
        return FileResponse(STATIC / "chat.html")

    return app
