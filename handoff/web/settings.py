"""Web app settings, read from the environment."""
from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    rasa_url: str = "http://localhost:5005"
    rasa_timeout_s: float = 30.0
    max_message_chars: int = 2000
