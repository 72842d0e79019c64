"""What routes receive: the collaborators built once in the app's lifespan, and the agent behind a request."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from redis.asyncio import Redis

from handoff.agents import Agent, mark_present, session_agent
from handoff.conversations import ConversationStore
from handoff.relay import HandoffRelay
from handoff.settings import HandoffSettings
from handoff.web.settings import WebSettings

SESSION_COOKIE = "agent_session"


def _web_settings(request: Request) -> WebSettings:
    return request.app.state.settings


def _handoff_settings(request: Request) -> HandoffSettings:
    return request.app.state.handoff_settings


def _redis(request: Request) -> Redis:
    return request.app.state.redis


def _store(request: Request) -> ConversationStore:
    return request.app.state.store


def _relay(request: Request) -> HandoffRelay:
    return request.app.state.relay


def session_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(SESSION_COOKIE, "")


async def _logged_in(request: Request, role: str) -> Agent:
    agent = await session_agent(request.app.state.redis, session_token(request))
    if agent is None:
        raise HTTPException(401, "log in first", headers={"WWW-Authenticate": "Bearer"})
    if not agent.has_role(role):
        raise HTTPException(403, f"this account does not have the {role} role")
    return agent


async def _current_agent(request: Request) -> Agent:
    agent = await _logged_in(request, "agent")
    await mark_present(request.app.state.redis, agent.username)
    return agent


async def _current_editor(request: Request) -> Agent:
    return await _logged_in(request, "editor")


Settings = Annotated[WebSettings, Depends(_web_settings)]
HandoffConfig = Annotated[HandoffSettings, Depends(_handoff_settings)]
RedisClient = Annotated[Redis, Depends(_redis)]
Store = Annotated[ConversationStore, Depends(_store)]
Relay = Annotated[HandoffRelay, Depends(_relay)]
CurrentAgent = Annotated[Agent, Depends(_current_agent)]
CurrentEditor = Annotated[Agent, Depends(_current_editor)]
