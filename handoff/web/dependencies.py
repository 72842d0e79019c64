"""What routes receive: the collaborators built once in the app's lifespan, the agent behind a
request, and the path and query parameters several routers share."""
from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Query, Request, Response
from redis.asyncio import Redis

from handoff.agents import Agent, close_session, mark_present, session_agent
from handoff.conversations import ConversationStore
from handoff.safeguards.rate_limits import RateLimiter
from handoff.relay import HandoffRelay
from handoff.settings import HandoffSettings
from handoff.web.stream_hub import StreamHub
from handoff.web.stream_limits import OpenStreamLimits, TooManyStreams
from knowledge.publishing.workspace import ContentTeam

SESSION_COOKIE = "agent_session"
# A refused live stream: the widget tries again after this long.
STREAM_RETRY_AFTER_S = "10"

# The conversation id is the customer's credential: unguessable, and required on every call.
ConversationId = Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
# A Redis stream id: milliseconds and a sequence number, each below 2**64. Nineteen digits at most,
# so that an id beyond what Redis accepts is refused here (422) instead of by Redis (a fault).
_STREAM_ID = r"^\d{1,19}(-\d{1,19})?$"
StreamId = Query(default="0", pattern=_STREAM_ID, description="last message id seen; 0 for all")
# What an EventSource sends on reconnection: the id of the last event it received.
LastEventId = Header(default=None, pattern=_STREAM_ID)


def _settings(request: Request) -> HandoffSettings:
    return request.app.state.settings


def _redis(request: Request) -> Redis:
    return request.app.state.redis


def _store(request: Request) -> ConversationStore:
    return request.app.state.store


def _relay(request: Request) -> HandoffRelay:
    return request.app.state.relay


def _content_team(request: Request) -> ContentTeam:
    return request.app.state.content_team


def _stream_hub(request: Request) -> StreamHub:
    return request.app.state.stream_hub


async def _rate_limiter(request: Request) -> RateLimiter:
    return request.app.state.rate_limiter


def client_address(request: Request) -> str:
    """Where the request comes from: the peer's address, unless the peer is a trusted proxy
    (TRUSTED_PROXIES); then the last address in X-Forwarded-For that is not a trusted proxy itself.
    Only a trusted proxy's header is believed: anyone else could write any address there."""
    peer = request.client.host if request.client else "unknown"
    trusted = set(_settings(request).trusted_proxies)
    if peer not in trusted:
        return peer
    hops = [hop.strip() for header in request.headers.getlist("x-forwarded-for") for hop in header.split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if hop not in trusted:
            return hop
    return peer


async def _known_conversation(request: Request, conversation_id: str = ConversationId) -> str:
    if not await _store(request).exists(conversation_id):
        raise HTTPException(404, "unknown conversation")
    return conversation_id


async def _customer_stream_slot(request: Request, conversation_id: str = Depends(_known_conversation)) -> AsyncIterator[None]:
    """Held for as long as the customer's live stream is open: 429 past the caps."""
    limits: OpenStreamLimits = request.app.state.stream_limits
    try:
        slot = limits.take(conversation_id, client_address(request))
    except TooManyStreams as error:
        raise HTTPException(429, f"too many open live streams: {error}",
                            headers={"Retry-After": STREAM_RETRY_AFTER_S}) from None
    try:
        yield
    finally:
        limits.give_back(slot)


def session_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(SESSION_COOKIE, "")


async def end_session(request: Request, response: Response) -> None:
    """Log out: the session token stops working and the cookie goes (console and editor alike)."""
    await close_session(request.app.state.redis, session_token(request))
    response.delete_cookie(SESSION_COOKIE)


async def _current_staff(request: Request) -> Agent:
    """Whoever is logged in, whatever their roles (their own account, their log-out)."""
    agent = await session_agent(request.app.state.redis, session_token(request))
    if agent is None:
        raise HTTPException(401, "log in first", headers={"WWW-Authenticate": "Bearer"})
    return agent


async def _logged_in(request: Request, role: str) -> Agent:
    agent = await _current_staff(request)
    if not agent.has_role(role):
        raise HTTPException(403, f"this account does not have the {role} role")
    return agent


async def _current_agent(request: Request) -> Agent:
    agent = await _logged_in(request, "agent")
    await mark_present(request.app.state.redis, agent.username)
    return agent


async def _current_editor(request: Request) -> Agent:
    return await _logged_in(request, "editor")


async def _current_supervisor(request: Request) -> Agent:
    return await _logged_in(request, "supervisor")


async def _current_reviewer(request: Request) -> Agent:
    return await _logged_in(request, "reviewer")


Settings = Annotated[HandoffSettings, Depends(_settings)]
RedisClient = Annotated[Redis, Depends(_redis)]
Store = Annotated[ConversationStore, Depends(_store)]
Relay = Annotated[HandoffRelay, Depends(_relay)]
Team = Annotated[ContentTeam, Depends(_content_team)]
Limiter = Annotated[RateLimiter, Depends(_rate_limiter)]
ClientAddress = Annotated[str, Depends(client_address)]
KnownConversation = Annotated[str, Depends(_known_conversation)]
Hub = Annotated[StreamHub, Depends(_stream_hub)]
CustomerStreamSlot = Annotated[None, Depends(_customer_stream_slot)]
CurrentStaff = Annotated[Agent, Depends(_current_staff)]
CurrentAgent = Annotated[Agent, Depends(_current_agent)]
CurrentEditor = Annotated[Agent, Depends(_current_editor)]
CurrentSupervisor = Annotated[Agent, Depends(_current_supervisor)]
CurrentReviewer = Annotated[Agent, Depends(_current_reviewer)]
