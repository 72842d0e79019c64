"""A stand-in for the Rasa server in route and relay tests (the real one runs in tests/e2e):
its REST channel answers from a small script, in Rasa's own message format, and whatever the
web app sends is recorded for the tests to check. Anything else (the action server's
suggestions among them) gets a 404, which the web app survives."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

ANSWER_TEXT = "Open **Settings**.\n\nThen choose *Reset password*."
RESET_ARTICLE = "lumen/reset-password-en"
FRAUD_ARTICLE = "lumen/card-fraud-en"


def _escalation(reason: str, route: str = "agent", **extra: Any) -> dict[str, Any]:
    text = "I'm putting you through to an advisor." if route == "agent" else "Nobody is free: leave your email."
    return {"outcome": "escalate", "reason": reason, "route": route, "lang": "en", "text": text,
            "article": None, "confidence": None, "sources": [], **extra}


def scripted_reply(text: str) -> dict[str, Any]:
    """The bot's decision (custom payload) for what the customer said."""
    if text in ("/request_human", "I want to talk to a person"):
        return _escalation("customer_request")
    if text == "/answer_not_helpful":
        return _escalation("not_helpful", article=RESET_ARTICLE)
    if "fraud" in text:
        return _escalation("sensitive", article=FRAUD_ARTICLE, confidence=0.91, topic="fraud",
                           sources=[{"article": FRAUD_ARTICLE, "title": "Card fraud", "score": 0.91}])
    if "nobody online" in text:
        return _escalation("customer_request", route="ticket")
    if "made-up reason" in text:
        return _escalation("not_in_the_contract")
    return {"outcome": "answer", "article": RESET_ARTICLE, "confidence": 0.83, "reason": None, "lang": "en",
            "text": ANSWER_TEXT, "sources": [{"article": RESET_ARTICLE, "title": "Reset your password", "score": 0.86}]}


def rest_messages(sender: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """As Rasa's REST channel sends an utterance: its text split on blank lines, then the payload."""
    parts = [{"recipient_id": sender, "text": part} for part in str(payload["text"]).split("\n\n")]
    return [*parts, {"recipient_id": sender, "custom": payload}]


class FakeRasa:
    def __init__(self) -> None:
        self.down = False  # answer every call with HTTP 500, as a Rasa server failing would
        self.silent = False  # the REST channel answers [], as Rasa does when the action server is down
        self.received: list[tuple[str, str, dict[str, Any]]] = []  # (conversation, text, metadata)
        self.events: dict[str, list[dict[str, Any]]] = defaultdict(list)  # tracker events appended, per conversation
        self.triggered: list[tuple[str, str, dict[str, Any]]] = []  # (conversation, intent, entities)
        self.app = FastAPI()
        self.app.middleware("http")(self._failing_when_down)
        self.app.post("/webhooks/rest/webhook")(self._rest_channel)
        self.app.post("/conversations/{conversation_id}/tracker/events")(self._append_events)
        self.app.post("/conversations/{conversation_id}/trigger_intent")(self._trigger_intent)
        self.app.get("/")(self._hello)

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.ASGITransport(app=self.app)

    def texts_received(self, conversation_id: str) -> list[str]:
        return [text for sender, text, _ in self.received if sender == conversation_id]

    async def _failing_when_down(self, request: Request, call_next: Any) -> Any:
        if self.down:
            return JSONResponse({"error": "down"}, status_code=500)
        return await call_next(request)

    async def _rest_channel(self, request: Request) -> list[dict[str, Any]]:
        body = await request.json()
        self.received.append((body["sender"], body["message"], body.get("metadata") or {}))
        if self.silent:
            return []
        return rest_messages(body["sender"], scripted_reply(body["message"]))

    async def _append_events(self, conversation_id: str, request: Request) -> dict[str, Any]:
        self.events[conversation_id] += await request.json()
        return {"sender_id": conversation_id}

    async def _trigger_intent(self, conversation_id: str, request: Request) -> dict[str, Any]:
        body = await request.json()
        self.triggered.append((conversation_id, body["name"], body.get("entities") or {}))
        text = "No advisor could take your chat: leave your email and we will write back."
        return {"messages": rest_messages(conversation_id, {"outcome": "no_agent", "lang": "en", "text": text})}

    async def _hello(self) -> str:
        return "Hello from Rasa: 3.6.21"
