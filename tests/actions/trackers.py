"""In-memory trackers and a runner for custom actions, as the action server would call them."""
from __future__ import annotations

from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from redis.asyncio import Redis

from handoff.agents import mark_present, save_agent
from knowledge.settings import REPO_ROOT

# What Rasa sends as `domain` (forms, slots): the form validation action reads it.
DOMAIN: dict[str, Any] = yaml.safe_load((REPO_ROOT / "domain.yml").read_text(encoding="utf-8"))


def tracker(
    text: str,
    intent: str = "ask_question",
    confidence: float = 0.9,
    language: str | None = None,
    slots: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
    sender_id: str = "test",
) -> Tracker:
    return Tracker(
        sender_id=sender_id,
        slots={"language": language, **(slots or {})},
        latest_message={"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []},
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def bot_event(payload: dict[str, Any]) -> dict[str, Any]:
    """A bot reply in the tracker's events, as Rasa records it."""
    return {"event": "bot", "text": payload.get("text"), "data": {"custom": payload}}


async def run(action: Action, on: Tracker) -> tuple[list[dict[str, Any]], list[Any]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, on, DOMAIN)
    return dispatcher.messages, events


async def advisor_online(redis: Redis, languages: list[str], username: str = "alice") -> None:
    await save_agent(redis, username, "correct horse", username.title(), languages)
    await mark_present(redis, username)
