"""Handoff settings, read from the environment (one class for every process that uses them)."""
from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class HandoffSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    redis_url: str = "redis://127.0.0.1:6380/0"
    # An agent counts as online while their console has been heard from within this window.
    presence_window_s: float = 45.0
    # A chat waiting longer than this is handed back to the bot, which offers to file a ticket.
    max_wait_s: float = 600.0
    # Until enough chats have been handled to measure it.
    default_handling_time_s: float = 240.0
    agent_session_ttl_s: int = 12 * 3600
    # Closed conversations are kept this long, then expire from Redis.
    closed_retention_s: int = 30 * 24 * 3600
