"""schemathesis over the web app's whole API (issue 13): every operation of its OpenAPI schema with a
bounded number of generated requests, valid and invalid, three ways: as nobody, as an agent (who is
also a supervisor, so that erasure runs past its role check) and as an editor. No request may get a
server error (5xx), and every status code must be one the schema declares for that operation.

The web app is served by uvicorn on 127.0.0.1, lifespan and all, on the real Redis (flushed for each
way of calling), its calls to Rasa answered by tests/handoff/fake_rasa.py. The content team's jobs run
in a real content worker on a throwaway knowledge base and draft workspace (tmp_path), so publishing
and rolling back touch nothing else. Two in three requests that name a conversation or a draft file
address a real one (a conversation the bot answered, one waiting for an advisor; a Markdown or CSV
draft) instead of a generated name, which would only ever meet a 404 or a 422.

schemathesis's own pytest plugin is not used (its parametrize sets pytest's private `Node._nodeid`,
which pytest 9.2 no longer has): each operation and way of calling is a test of its own, running
hypothesis over the operation's strategies.
"""
from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import redis
import requests
import schemathesis
import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error, status_code_conformance

from handoff.agents import save_agent
from handoff.connection import connect
from handoff.settings import HandoffSettings
from knowledge import redis_keys as keys
from ops.stack import free_port
from tests.handoff.fake_rasa import FakeRasa
from tests.handoff.test_editor_api import content_worker  # noqa: F401  (the fixture, shared)
from tests.redis_server import RedisServer

# Generated requests per operation and way of calling (the file's three runs take well under three minutes).
EXAMPLES_PER_OPERATION = 25
PASSWORD = "correct horse battery"
# The ways of calling: the roles of the account whose bearer token goes with every request (None: no token).
CALLERS: dict[str, list[str] | None] = {"nobody": None, "agent": ["agent", "supervisor"], "editor": ["editor"]}
CHECKS = [not_a_server_error, status_code_conformance]
EVENT_STREAM = "text/event-stream"
# Files of the draft workspace a request may name instead of a generated name (which is rarely a file type).
DRAFT_NAMES = ("questions.md", "questions.csv")


def _operation_labels() -> list[str]:
    from handoff.web.main import create_app  # here: collecting the tests reads the schema, not the settings' Redis

    paths = create_app(HandoffSettings()).openapi()["paths"]
    return [f"{method.upper()} {path}" for path, operations in paths.items() for method in operations]


class ServedApp:
    """The app served by uvicorn on 127.0.0.1 from a thread of its own: the synchronous hypothesis
    tests call it over real HTTP, as any client would."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                     timeout_graceful_shutdown=2))
        self._thread = threading.Thread(target=self._server.run, name="web-app", daemon=True)

    def __enter__(self) -> ServedApp:
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the web app did not start")
            self._thread.join(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join()


@dataclass
class Target:
    """The served app, who calls it, and the real conversations a request may address."""

    url: str
    redis_url: str
    caller: str
    conversations: list[str] = field(default_factory=list)  # one the bot answered, one waiting for an advisor
    bot_answer_id: str = ""  # the bot's answer in the first, for feedback to rate
    token: str = ""

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def log_in(self) -> None:
        if CALLERS[self.caller] is None:
            return
        response = httpx.post(f"{self.url}/api/agent/login", json={"username": self.caller, "password": PASSWORD})
        assert response.status_code == 200, response.text
        self.token = response.json()["token"]

    def session_back(self) -> None:
        """After a generated logout: the same token works again. Not by logging in, which the generated
        wrong passwords have throttled for this address by then."""
        redis.Redis.from_url(self.redis_url).set(keys.session(self.token), self.caller)

    def start_conversations(self) -> None:
        with httpx.Client(base_url=self.url) as http:
            for text in ("How do I reset my password?", "I want to talk to a person"):
                conversation_id = http.post("/api/conversations").json()["conversation_id"]
                turn = http.post(f"/api/conversations/{conversation_id}/messages", json={"text": text, "lang": "en"})
                assert turn.status_code == 200, turn.text
                self.conversations.append(conversation_id)
                self.bot_answer_id = self.bot_answer_id or next(
                    m["id"] for m in turn.json()["messages"] if m["kind"] == "bot")


def _create_accounts(redis_url: str) -> None:
    async def create() -> None:
        client = connect(redis_url)
        for username, roles in CALLERS.items():
            if roles is not None:
                await save_agent(client, username, PASSWORD, username.title(), ["en", "fr"], roles)
        await client.aclose()

    asyncio.run(create())


@pytest.fixture(scope="module", params=list(CALLERS))
def target(request: pytest.FixtureRequest, redis_server: RedisServer,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The web app for one way of calling, on an emptied Redis and a knowledge base of its own."""
    if "editor" in (CALLERS[request.param] or []):
        request.getfixturevalue("content_worker")  # the editor's requests wait for its answers
    from handoff.web.main import create_app

    redis.Redis(port=redis_server.port).flushall()
    folder = tmp_path_factory.mktemp(f"api-{request.param}")
    # Every request comes from 127.0.0.1: with the rate limits on, most would only meet a 429.
    settings = HandoffSettings(
        redis_url=redis_server.url, rasa_url="http://rasa.test", actions_url="http://actions.test",
        chroma_path=folder / "chroma", chroma_host=None, editor_drafts_path=folder / "drafts",
        database_url=f"sqlite:///{folder / 'insights.db'}",
        messages_per_conversation=0, messages_per_address=0, conversations_per_address=0,
        typing_per_conversation=0, typing_per_address=0)
    _create_accounts(redis_server.url)
    with ServedApp(create_app(settings, http_transport=FakeRasa().transport())) as served:
        target = Target(served.url, redis_server.url, request.param)
        target.start_conversations()
        target.log_in()
        yield target


@pytest.fixture(scope="module")
def api_schema(target: Target) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{target.url}/openapi.json")


def _cases(operation: schemathesis.APIOperation) -> st.SearchStrategy[schemathesis.Case]:
    """Valid requests, and invalid ones where the operation takes anything that can be made invalid."""
    valid = operation.as_strategy(GenerationMode.POSITIVE)
    if not (operation.path_parameters or operation.query or operation.headers or operation.body):
        return valid
    return st.one_of(valid, operation.as_strategy(GenerationMode.NEGATIVE))


def _address_real_things(case: schemathesis.Case, target: Target, real: int | None) -> None:
    """Point the case at the `real`th conversation and draft file instead of generated ones (None: leave it)."""
    if real is None:
        return
    path = case.path_parameters or {}
    if "conversation_id" in path:
        path["conversation_id"] = target.conversations[real]
        if case.path.endswith("/feedback") and isinstance(case.body, dict) and "message_id" in case.body:
            case.body["message_id"] = target.bot_answer_id
    if "name" in path:
        path["name"] = DRAFT_NAMES[real]


def _opens_a_live_stream(case: schemathesis.Case) -> bool:
    ok = case.operation.definition.raw.get("responses", {}).get("200", {})
    return EVENT_STREAM in ok.get("content", {})


def _call(case: schemathesis.Case, target: Target) -> requests.Response | None:
    """The response, or None for a live stream that opened (it would stay open: its status is all there is to check)."""
    kwargs: dict[str, Any] = case.as_transport_kwargs(base_url=target.url, headers=target.headers())
    with requests.request(**kwargs, stream=True, timeout=60) as response:
        if response.status_code == 200 and _opens_a_live_stream(case):
            assert response.headers["content-type"].startswith(EVENT_STREAM)
            return None
        response.content  # noqa: B018  (read whole before the connection closes)
    return response


@pytest.mark.parametrize("label", _operation_labels())
def test_no_request_gets_a_server_error_or_an_undeclared_status(label: str, target: Target,
                                                                 api_schema: schemathesis.BaseSchema) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, f"{label} is not in the served schema"

    @given(case=_cases(operation), real=st.sampled_from([None, 0, 1]))
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def every_request(case: schemathesis.Case, real: int | None) -> None:
        _address_real_things(case, target, real)
        response = _call(case, target)
        if response is None:
            return
        if case.path.endswith("/logout") and response.status_code == 204:
            target.session_back()  # the later requests go on as the same caller
        case.validate_response(response, checks=CHECKS)

    every_request()
