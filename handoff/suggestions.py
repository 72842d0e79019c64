"""Suggested answers for agents, computed by the action server (which holds the knowledge base)."""
from __future__ import annotations

import logging
from typing import Any

import httpx

log = logging.getLogger(__name__)

SUGGEST_ACTION = "action_suggest_answers"


class SuggestionClient:
    def __init__(self, http: httpx.AsyncClient, actions_url: str) -> None:
        self.http = http
        self.webhook = f"{actions_url.rstrip('/')}/webhook"

    async def suggest(self, conversation_id: str, text: str, lang: str) -> list[dict[str, Any]]:
        """The action server's top articles for `text`; empty (and logged) if it cannot be reached."""
        tracker = {
            "sender_id": conversation_id, "slots": {"language": lang},
            "latest_message": {"text": text, "intent": {}, "entities": []}, "events": [], "paused": False,
            "followup_action": None, "active_loop": {}, "latest_action_name": None,
        }
        payload = {"next_action": SUGGEST_ACTION, "sender_id": conversation_id, "tracker": tracker, "domain": {}}
        try:
            response = await self.http.post(self.webhook, json=payload)
            response.raise_for_status()
        except httpx.HTTPError as error:
            log.warning("no suggestions for %s: %s", conversation_id, error)
            return []
        for reply in response.json().get("responses") or []:
            custom = reply.get("custom") or {}
            if "suggestions" in custom:
                return list(custom["suggestions"])
        return []
