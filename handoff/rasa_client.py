"""The Rasa server's HTTP API, as the handoff uses it: the REST channel and tracker events.

A customer's message whose request to Rasa is cut before any answer (the Rasa serving it died, or the
connection to the proxy dropped) is sent once more at once, which the proxy gives to another Rasa:
the customer gets the answer in this response instead of a 503 and a retry seconds later. Safe for
the same reason the widget's retry is: Rasa saves a tracker only at the end of a turn, and the web
app stores the bot messages of the one call that was answered, so no reply is shown twice (at worst
Rasa's tracker holds the message twice, as after the widget's retry). Timeouts are not sent again:
the turn may still be running, and a second wait would double the customer's.
"""
from __future__ import annotations

from typing import Any

import httpx


# A connection refused, reset or closed with no response: the request got no answer, nor will it.
CUT_BEFORE_ANSWER = (httpx.NetworkError, httpx.RemoteProtocolError)
TURN_ATTEMPTS = 2  # a customer's message: once more when cut before any answer


class RasaUnavailable(Exception):
    pass


class RasaClient:
    def __init__(self, http: httpx.AsyncClient, url: str, token: str | None = None) -> None:
        self.http = http
        self.url = url.rstrip("/")
        self.params = {"token": token} if token else {}

    async def _post(self, path: str, payload: Any, attempts: int = 1) -> Any:
        for attempt in range(1, attempts + 1):
            try:
                response = await self.http.post(f"{self.url}{path}", json=payload, params=self.params)
                response.raise_for_status()
            except CUT_BEFORE_ANSWER as error:
                if attempt < attempts:
                    continue
                raise RasaUnavailable(f"{type(error).__name__} on {path}") from error
            except httpx.HTTPError as error:
                raise RasaUnavailable(f"{type(error).__name__} on {path}") from error
            return response.json()
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def send_message(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        return await self._post("/webhooks/rest/webhook", {"sender": conversation_id, "message": text, "metadata": metadata},
                                attempts=TURN_ATTEMPTS)

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        await self._post(f"/conversations/{conversation_id}/tracker/events?include_events=NONE", events)

    async def trigger_intent(self, conversation_id: str, intent: str, entities: dict[str, Any]) -> list[dict[str, Any]]:
        """Runs the bot on an intent the customer did not type; returns the bot's messages."""
        body = await self._post(f"/conversations/{conversation_id}/trigger_intent?include_events=NONE",
                                {"name": intent, "entities": entities})
        return list(body.get("messages") or [])
