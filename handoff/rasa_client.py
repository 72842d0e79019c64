"""The Rasa server's HTTP API, as the handoff uses it: the REST channel and tracker events."""
from __future__ import annotations

from typing import Any

import httpx


class RasaUnavailable(Exception):
    pass


class RasaClient:
    def __init__(self, http: httpx.AsyncClient, url: str, token: str | None = None) -> None:
        self.http = http
        self.url = url.rstrip("/")
        self.params = {"token": token} if token else {}

    async def _post(self, path: str, payload: Any) -> Any:
        try:
            response = await self.http.post(f"{self.url}{path}", json=payload, params=self.params)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise RasaUnavailable(f"{type(error).__name__} on {path}") from error
        return response.json()

    async def send_message(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        return await self._post("/webhooks/rest/webhook", {"sender": conversation_id, "message": text, "metadata": metadata})

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        await self._post(f"/conversations/{conversation_id}/tracker/events?include_events=NONE", events)

    async def trigger_intent(self, conversation_id: str, intent: str, entities: dict[str, Any]) -> list[dict[str, Any]]:
        """Runs the bot on an intent the customer did not type; returns the bot's messages."""
        body = await self._post(f"/conversations/{conversation_id}/trigger_intent?include_events=NONE",
                                {"name": intent, "entities": entities})
        return list(body.get("messages") or [])
