"""The web app (ASGI): customer chat API and page, agent API, content team pages. Run: uvicorn handoff.web.main:create_app --factory"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from handoff.connection import connect
from handoff.insights.store import make_engine
from handoff.insights.writer import OutboxWriter
from handoff.conversations import ConversationStore
from handoff.safeguards.rate_limits import RateLimiter
from handoff.rasa_client import RasaClient
from handoff.relay import HandoffRelay
from handoff.settings import HandoffSettings
from handoff.suggestions import SuggestionClient
from handoff.summary import SummaryWriter
from knowledge.publishing.jobs import ContentJobs
from handoff.web import agent_api, customer, editor_api, help_pages
from handoff.web.access_log import hide_conversation_ids
from handoff.web.canned import routes as canned_replies
from handoff.web.insights import metrics_route, proposal_api, rating_api, review_api, summary_api
from handoff.web.insights import pages as insights_pages
from handoff.web.errors import install_error_handlers
from handoff.web.stream_hub import StreamHub
from handoff.web.tickets import answer_api as ticket_answer_api
from handoff.web.stream_limits import OpenStreamLimits
from handoff.web.page_policies import static_page, unframed_page_headers, widget_page_headers
from handoff.web.returning import demo_page as returning_demo, routes as returning_routes
from knowledge.publishing.workspace import ContentTeam, DraftWorkspace
from knowledge.redis_client import connect_sync
from knowledge.store import make_client

STATIC = Path(__file__).parent / "static"
SHUTDOWN_STEP_S = 5.0
log = logging.getLogger(__name__)
# The pages, outside the API schema: path -> (file in static/, media type when the suffix does not say,
# who may frame it: "widget" the sites allowed to embed the widget, "nobody", None for a script).
PAGES = {
    "/": ("chat.html", None, "widget"),
    "/demo": ("demo.html", None, "widget"),
    "/console": ("console.html", None, "nobody"),
    "/editor": ("editor.html", None, "nobody"),
    "/widget.js": ("widget.js", "text/javascript", None),
    # Browsers ask for it on every site, whatever the page says (and for /docs and the API's own responses).
    "/favicon.ico": ("favicon.ico", "image/x-icon", None),
}


async def _bounded(what: str, step: Awaitable[object], seconds: float = SHUTDOWN_STEP_S) -> None:
    """One step of stopping: a step that hangs is logged and left, so that the process still ends."""
    try:
        await asyncio.wait_for(step, seconds)
    except TimeoutError:
        log.warning("stopping: %s did not stop within %.0f s; left behind", what, seconds)


def create_app(settings: HandoffSettings | None = None, http_transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """`http_transport` carries the calls to Rasa and the action server (tests hand in their own)."""
    settings = settings or HandoffSettings()
    # Uvicorn has set its loggers up before it calls this factory: the filter stays on them.
    hide_conversation_ids()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        redis = connect(settings.redis_url)
        async with httpx.AsyncClient(timeout=settings.rasa_timeout_s, transport=http_transport) as http:
            store = ConversationStore(redis, settings)
            relay = HandoffRelay(store, RasaClient(http, settings.rasa_url, settings.rasa_token),
                                 SuggestionClient(http, settings.actions_url, settings.actions_token),
                                 SummaryWriter(http, settings))
            app.state.http, app.state.redis, app.state.store, app.state.relay = http, redis, store, relay
            app.state.rate_limiter = RateLimiter(redis, settings)
            app.state.chroma = make_client(settings)
            # rq and the unanswered stream are synchronous: their calls run in threads.
            content_redis = connect_sync(settings.redis_url)
            app.state.content_team = ContentTeam(
                DraftWorkspace.for_knowledge_base(settings), settings,
                app.state.chroma, content_redis, ContentJobs(content_redis, settings))
            # One blocking reader for every live stream of this process, on a connection of its own.
            app.state.stream_hub = hub = StreamHub(redis, connect(settings.redis_url, single_connection=True))
            hub.start()
            releaser = asyncio.create_task(relay.run_release_loop(
                settings.max_wait_s, settings.presence_window_s, settings.release_every_s))
            # Insights: events wait in Redis until this writer (one per web app, a blocking reader on a
            # connection of its own) has them in the SQL store.
            app.state.insights_engine = engine = make_engine(settings.database_url)
            writer_redis = connect(settings.redis_url, single_connection=True)
            writer = asyncio.create_task(OutboxWriter(writer_redis, engine).run())
            try:
                yield
            finally:
                releaser.cancel()
                writer.cancel()
                with suppress(asyncio.CancelledError):
                    await _bounded("the release loop", releaser)
                with suppress(asyncio.CancelledError):
                    await _bounded("the insights writer", writer)
                await _bounded("the insights writer's connection", writer_redis.aclose())
                engine.dispose()
                await relay.drain()
                await _bounded("the live streams' reader", hub.stop())
                await _bounded("the Redis connections", redis.aclose())
                content_redis.close()

    app = FastAPI(title="Self-care chat with human handoff", lifespan=lifespan)
    app.state.settings = settings
    app.state.stream_limits = OpenStreamLimits(settings.live_streams_per_conversation, settings.live_streams_per_address)
    # The widget is embedded on the company's own site: customer calls come from another origin.
    # No credentials cross origins (the conversation id travels in the path), so agents' cookies never do.
    app.add_middleware(CORSMiddleware, allow_origins=settings.widget_origins, allow_credentials=False,
                       allow_methods=["GET", "POST"], allow_headers=["Content-Type", "Last-Event-ID"],
                       expose_headers=["Retry-After"])  # the widget waits as long as a 503 or 429 asks
    install_error_handlers(app)
    app.include_router(customer.router)
    app.include_router(agent_api.router)
    app.include_router(ticket_answer_api.router)
    app.include_router(help_pages.router)
    app.include_router(editor_api.router)
    app.include_router(canned_replies.router)
    app.include_router(returning_routes.router)
    app.include_router(returning_demo.router)
    for insights in (summary_api, proposal_api, review_api, rating_api, metrics_route):
        app.include_router(insights.router)
    insights_pages.include(app)
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

    framing = {"widget": widget_page_headers(settings), "nobody": unframed_page_headers(), None: {}}
    for path, (file, media_type, framed_by) in PAGES.items():
        app.add_api_route(path, static_page(STATIC / file, framing[framed_by], media_type), methods=["GET"], include_in_schema=False)
    return app
