"""A customer and an agent as the web app sees them: HTTP calls and live event streams."""
from __future__ import annotations

import queue
import threading
import uuid
from typing import Any

import httpx
from httpx_sse import connect_sse


class LiveStream:
    """Reads a server-sent event stream in a background thread."""

    def __init__(self, client: httpx.Client, path: str, last_event_id: str | None = None) -> None:
        self.events: queue.Queue[tuple[str, str, dict[str, Any]]] = queue.Queue()
        self._stop = threading.Event()
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        self._thread = threading.Thread(target=self._read, args=(client, path, headers), daemon=True)
        self._thread.start()

    def _read(self, client: httpx.Client, path: str, headers: dict[str, str]) -> None:
        with connect_sse(client, "GET", path, headers=headers, timeout=httpx.Timeout(60, read=None)) as source:
            for event in source.iter_sse():
                if self._stop.is_set():
                    return
                if event.data:  # keep-alive comments carry none
                    self.events.put((event.event, event.id, event.json()))

    def next(self, kind: str = "message", timeout: float = 20) -> dict[str, Any]:
        while True:
            event, _, data = self.events.get(timeout=timeout)
            if event == kind:
                return data

    def messages(self, count: int, timeout: float = 20) -> list[dict[str, Any]]:
        return [self.next("message", timeout) for _ in range(count)]

    def until_text(self, text: str, timeout: float = 20) -> list[dict[str, Any]]:
        """Messages up to and including the first one saying `text`."""
        seen = []
        while not seen or seen[-1].get("text") != text:
            seen.append(self.next("message", timeout))
        return seen

    def close(self) -> None:
        self._stop.set()


class Customer:
    def __init__(self, web_url: str) -> None:
        self.http = httpx.Client(base_url=web_url, timeout=60)
        response = self.http.post("/api/conversations")
        response.raise_for_status()
        self.conversation_id: str = response.json()["conversation_id"]

    def say(self, text: str, **extra: Any) -> dict[str, Any]:
        response = self.http.post(f"/api/conversations/{self.conversation_id}/messages", json={"text": text, **extra})
        response.raise_for_status()
        return response.json()

    def status(self) -> dict[str, Any]:
        return self.http.get(f"/api/conversations/{self.conversation_id}").raise_for_status().json()

    def history(self, after: str = "0") -> list[dict[str, Any]]:
        return self.http.get(f"/api/conversations/{self.conversation_id}/messages", params={"after": after}).json()

    def live(self, last_event_id: str | None = None) -> LiveStream:
        return LiveStream(self.http, f"/api/conversations/{self.conversation_id}/events", last_event_id)


class AgentClient:
    PASSWORD = "correct horse battery"

    def __init__(self, web_url: str, username: str, token: str) -> None:
        self.username = username
        self.http = httpx.Client(base_url=web_url, timeout=60, headers={"Authorization": f"Bearer {token}"})

    def queue(self) -> list[dict[str, Any]]:
        return self.http.get("/api/agent/queue").raise_for_status().json()

    def claim(self, conversation_id: str) -> httpx.Response:
        return self.http.post(f"/api/agent/conversations/{conversation_id}/claim")

    def claim_next(self) -> httpx.Response:
        """Takes the chat that has waited longest in the agent's languages (204: none waits)."""
        return self.http.post("/api/agent/queue/next")

    def package(self, conversation_id: str) -> dict[str, Any]:
        return self.http.get(f"/api/agent/conversations/{conversation_id}").raise_for_status().json()

    def send(self, conversation_id: str, text: str) -> dict[str, Any]:
        return self.http.post(f"/api/agent/conversations/{conversation_id}/messages", json={"text": text}).raise_for_status().json()

    def hand_back(self, conversation_id: str) -> httpx.Response:
        return self.http.post(f"/api/agent/conversations/{conversation_id}/hand-back")

    def live(self, conversation_id: str, last_event_id: str | None = None) -> LiveStream:
        return LiveStream(self.http, f"/api/agent/conversations/{conversation_id}/events", last_event_id)

    def logout(self) -> None:
        self.http.post("/api/agent/logout")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
