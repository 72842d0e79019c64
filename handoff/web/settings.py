"""Web app settings, read from the environment."""
from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    rasa_url: str = "http://localhost:5005"
    rasa_token: str | None = None  # Rasa's --auth-token, if the server was started with one
    rasa_timeout_s: float = 30.0
    actions_url: str = "http://localhost:5055"
    max_message_chars: int = 2000
    # Set to false only when serving over plain HTTP outside localhost is impossible to avoid.
    secure_cookies: bool = False
    release_every_s: float = 5.0
    # Sites allowed to embed the widget (JSON list in WIDGET_ORIGINS); "*" lets any site do so.
    widget_origins: list[str] = ["*"]
