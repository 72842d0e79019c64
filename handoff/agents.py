"""Agent accounts (bcrypt password hashes in Redis), console sessions, and presence."""
from __future__ import annotations

import asyncio
import secrets
import re
import time
from dataclasses import dataclass, replace
from functools import lru_cache

import bcrypt
from redis.asyncio import Redis

from knowledge import redis_keys as keys

LANGUAGES = ("en", "fr")
# An account is an advisor (the console), an editor (the content team's pages), or both; a
# supervisor may also erase a customer's data (the agent API's /forget) and reads the insights; a
# reviewer marks the bot's answers (handoff/insights/review.py).
ROLES = ("agent", "editor", "supervisor", "reviewer")
# Records saved before roles existed are advisors.
DEFAULT_ROLES = ("agent",)
# Advisors belong to one team (canned replies are shared per team); records saved before teams existed are "support".
DEFAULT_TEAM = "support"
TEAM_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"


class AgentError(ValueError):
    """An account that cannot be created as asked."""


@dataclass(frozen=True)
class Agent:
    username: str
    display_name: str
    languages: tuple[str, ...]
    roles: tuple[str, ...] = DEFAULT_ROLES
    team: str = DEFAULT_TEAM

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def public(self) -> dict[str, object]:
        return {"username": self.username, "display_name": self.display_name, "languages": list(self.languages)}


def _now_ms() -> int:
    return int(time.time() * 1000)


def _checked_roles(roles: list[str]) -> tuple[str, ...]:
    unknown = [role for role in roles if role not in ROLES]
    if unknown or not roles:
        raise AgentError(f"roles: choose among {', '.join(ROLES)} (got {', '.join(roles) or 'none'})")
    return tuple(role for role in ROLES if role in roles)


async def save_agent(redis: Redis, username: str, password: str, display_name: str, languages: list[str],
                     roles: list[str] | None = None, team: str = DEFAULT_TEAM) -> Agent:
    if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise AgentError(f"username {username!r}: letters, digits, '.', '-' and '_' only")
    if len(password) < 8:
        raise AgentError("password: 8 characters at least")
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown or not languages:
        raise AgentError(f"languages: choose among {', '.join(LANGUAGES)} (got {', '.join(languages) or 'none'})")
    checked_roles = _checked_roles(list(DEFAULT_ROLES) if roles is None else roles)
    if not re.match(TEAM_PATTERN, team):
        raise AgentError(f"team {team!r}: lower-case letters, digits, '-' and '_' only (40 at most)")
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()
    await redis.hset(keys.agent(username), mapping={
        "display_name": display_name or username, "languages": ",".join(languages), "password_hash": hashed,
        "roles": ",".join(checked_roles), "team": team,
    })
    await redis.sadd(keys.agents(), username)
    return Agent(username, display_name or username, tuple(languages), checked_roles, team)


async def grant_roles(redis: Redis, username: str, roles: list[str]) -> Agent:
    """Add roles to an existing account (its password and other roles are kept)."""
    agent = await get_agent(redis, username)
    if agent is None:
        raise AgentError(f"no account {username!r}: create it with add-agent")
    checked = _checked_roles([*agent.roles, *roles])
    await redis.hset(keys.agent(username), "roles", ",".join(checked))
    return replace(agent, roles=checked)


async def get_agent(redis: Redis, username: str) -> Agent | None:
    record = await redis.hgetall(keys.agent(username))
    if not record:
        return None
    roles = tuple(filter(None, record.get("roles", "").split(","))) or DEFAULT_ROLES
    return Agent(username, record["display_name"], tuple(filter(None, record["languages"].split(","))), roles,
                 record.get("team") or DEFAULT_TEAM)


async def list_agents(redis: Redis) -> list[Agent]:
    agents = [await get_agent(redis, name) for name in sorted(await redis.smembers(keys.agents()))]
    return [agent for agent in agents if agent]


@lru_cache(maxsize=1)
def _unknown_user_hash() -> bytes:
    """Checked for a username that does not exist, so that it takes as long as a wrong password."""
    return bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt())


async def verify_password(redis: Redis, username: str, password: str) -> Agent | None:
    hashed = await redis.hget(keys.agent(username), "password_hash")
    expected = hashed.encode() if hashed else _unknown_user_hash()
    # bcrypt takes a quarter of a second on purpose: in a thread, so the web app keeps serving meanwhile.
    matches = await asyncio.to_thread(bcrypt.checkpw, password.encode(), expected)
    if not hashed or not matches:
        return None
    return await get_agent(redis, username)


async def open_session(redis: Redis, username: str, ttl_s: int) -> str:
    token = secrets.token_urlsafe(32)
    await redis.set(keys.session(token), username, ex=ttl_s)
    return token


async def session_agent(redis: Redis, token: str) -> Agent | None:
    username = await redis.get(keys.session(token)) if token else None
    return await get_agent(redis, username) if username else None


async def close_session(redis: Redis, token: str) -> None:
    username = await redis.getdel(keys.session(token))
    if username:
        await redis.zrem(keys.PRESENCE, username)


async def mark_present(redis: Redis, username: str) -> None:
    await redis.zadd(keys.PRESENCE, {username: _now_ms()})


async def online_agents(redis: Redis, lang: str | None, window_s: float) -> list[Agent]:
    """Agents heard from within the window, who take conversations in `lang` (any language if None)."""
    since = _now_ms() - int(window_s * 1000)
    names = await redis.zrangebyscore(keys.PRESENCE, since, "+inf")
    agents = [await get_agent(redis, name) for name in names]
    return [agent for agent in agents if agent and agent.has_role("agent") and (lang is None or lang in agent.languages)]


async def online_agent_count(redis: Redis, lang: str | None, window_s: float) -> int:
    return len(await online_agents(redis, lang, window_s))
