"""Suggested answers for agents, computed by the action server (which holds the knowledge base)."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import httpx

from knowledge.contract import SUGGESTIONS_PATH, SuggestionsRequest

log = logging.getLogger(__name__)


class SuggestionClient:
    def __init__(self, http: httpx.AsyncClient, actions_url: str, token: str | None = None) -> None:
        self.http = http
        self.endpoint = f"{actions_url.rstrip('/')}{SUGGESTIONS_PATH}"
        self.params = {"token": token} if token else {}  # the action server's ACTIONS_TOKEN

    async def suggest(
        self, conversation_id: str, text: str, lang: str, earlier: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        """The action server's top articles for `text`, or for the `earlier` customer messages (newest
        first) when `text` carries no topic; empty (and logged) if it cannot be reached."""
        request: SuggestionsRequest = {"text": text, "lang": lang}
        try:
            response = await self.http.post(self.endpoint, json={**request, "earlier": list(earlier)},
                                            params=self.params)
            response.raise_for_status()
            suggestions = response.json().get("suggestions")
        except (httpx.HTTPError, ValueError, AttributeError) as error:
            log.warning("no suggestions for %s: %s", conversation_id, error)
            return []
        return list(suggestions or [])
