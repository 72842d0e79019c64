"""The simulation's HTTP clients: a customer as the widget calls the web app, and a staff account
(advisor, reviewer, supervisor) as the console, the review page and the dashboard call it."""
from __future__ import annotations

from typing import Any

import httpx

TIMEOUT_S = 120  # a first question can wait for the action server to load the knowledge base


class Customer:
    def __init__(self, web: str) -> None:
        self.http = httpx.Client(base_url=web, timeout=TIMEOUT_S)
        self.conversation_id: str = self.http.post("/api/conversations").raise_for_status().json()["conversation_id"]

    def _path(self, tail: str) -> str:
        return f"/api/conversations/{self.conversation_id}{tail}"

    def say(self, text: str, lang: str) -> dict[str, Any]:
        return self.http.post(self._path("/messages"), json={"text": text, "lang": lang}).raise_for_status().json()

    def feedback(self, message_id: str, helpful: bool, lang: str) -> dict[str, Any]:
        body = {"message_id": message_id, "helpful": helpful, "lang": lang}
        return self.http.post(self._path("/feedback"), json=body).raise_for_status().json()

    def rate(self, rating: int, lang: str) -> None:
        self.http.post(self._path("/rating"), json={"rating": rating, "lang": lang}).raise_for_status()

    def close(self) -> None:
        self.http.close()


class Staff:
    """One account logged in through POST /api/agent/login; its token goes as a Bearer header (no cookie,
    so the same-origin check of changes does not apply)."""

    def __init__(self, web: str, username: str, password: str) -> None:
        self.web, self.username, self.password = web, username, password
        self.http = httpx.Client(base_url=web, timeout=TIMEOUT_S)
        self.online = False

    def log_in(self) -> None:
        login = self.http.post("/api/agent/login", json={"username": self.username, "password": self.password})
        login.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {login.json()['token']}"
        self.online = True

    def log_out(self) -> None:
        """The session ends, and with it the account's presence: no advisor online for a while."""
        self.http.post("/api/staff/logout").raise_for_status()
        self.http.headers.pop("Authorization", None)
        self.online = False

    def claim(self, conversation_id: str) -> str:
        return self.http.post(f"/api/agent/conversations/{conversation_id}/claim").raise_for_status().json()["status"]

    def reply(self, conversation_id: str, text: str) -> None:
        self.http.post(f"/api/agent/conversations/{conversation_id}/messages", json={"text": text}).raise_for_status()

    def close_chat(self, conversation_id: str, resolution: str = "resolved") -> str:
        return self.http.post(f"/api/agent/conversations/{conversation_id}/close",
                              json={"resolution": resolution}).raise_for_status().json()["status"]

    def hand_back(self, conversation_id: str) -> str:
        return self.http.post(f"/api/agent/conversations/{conversation_id}/hand-back").raise_for_status().json()["status"]

    def ticket_done(self, ticket_id: str) -> str:
        return self.http.post(f"/api/agent/tickets/{ticket_id}/done").raise_for_status().json()["status"]

    def review_sample(self, n: int) -> list[dict[str, Any]]:
        return self.http.get("/api/insights/review/sample", params={"n": n, "days": 1}).raise_for_status().json()

    def review(self, event_id: str, verdict: str) -> int:
        return self.http.post(f"/api/insights/review/{event_id}", json={"verdict": verdict}).status_code

    def summary(self, first_day: str, last_day: str) -> dict[str, Any]:
        return self.http.get("/api/insights/summary", params={"from": first_day, "to": last_day}).raise_for_status().json()

    def close(self) -> None:
        self.http.close()
