"""Rasa's calls to the action server (bot/runtime/action_calls.py): one HTTP session, so one kept-alive
connection, per endpoint; responses validated as Rasa does, the schema checked once.

Rasa's side (Python 3.10, .venv-rasa): `make test-bot`."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from jsonschema import ValidationError, validators
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot.runtime import action_calls

CALLS = 5


async def _client_ports(keep: bool) -> list[int]:
    """The client port of each of CALLS requests an EndpointConfig makes to a real HTTP server."""
    ports: list[int] = []

    async def webhook(request: web.Request) -> web.Response:
        ports.append(request.transport.get_extra_info("peername")[1])
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    endpoint = EndpointConfig(url=f"http://127.0.0.1:{port}/webhook", token="secret")
    original = EndpointConfig.session
    try:
        if keep:
            action_calls.keep_sessions()
        for _ in range(CALLS):
            assert await endpoint.request(json={"next_action": "action_answer_question"}, method="post") == {
                "events": [], "responses": []}
    finally:
        await action_calls.close_sessions(endpoint)
        EndpointConfig.session = original
        await runner.cleanup()
    return ports


def test_calls_share_one_connection() -> None:
    ports = asyncio.run(_client_ports(keep=True))
    assert len(ports) == CALLS and len(set(ports)) == 1


def test_rasa_alone_opens_a_connection_per_call() -> None:
    """What keep_sessions changes (if Rasa ever reuses sessions itself, this fails and the patch can go)."""
    ports = asyncio.run(_client_ports(keep=False))
    assert len(set(ports)) == CALLS


VALID = {"events": [{"event": "slot", "name": "language", "value": "en"}], "responses": [{"text": "Hello"}]}
INVALID = {"events": [{"event": "slot", "name": 3}], "responses": "not a list"}


def _error_of(validate: Callable[[RemoteAction, dict[str, Any]], bool], result: dict[str, Any]) -> str | None:
    try:
        validate(RemoteAction("action_answer_question", None), result)
    except ValidationError as error:
        return error.message
    return None


def test_responses_are_validated_as_rasa_does_with_the_schema_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    rasas = RemoteAction._validate_action_result
    checks: list[object] = []
    validator_class = validators.validator_for(RemoteAction.action_response_format_spec())
    check_schema = validator_class.check_schema
    monkeypatch.setattr(validator_class, "check_schema", classmethod(
        lambda cls, schema, *args, **kwargs: (checks.append(schema), check_schema(schema, *args, **kwargs))[1]))
    monkeypatch.setattr(action_calls, "_VALIDATOR", [])
    action_calls.check_responses_once()
    try:
        for _ in range(3):
            assert _error_of(RemoteAction._validate_action_result, VALID) is None
        ours = _error_of(RemoteAction._validate_action_result, INVALID)
    finally:
        RemoteAction._validate_action_result = rasas
    assert len(checks) == 1
    assert ours is not None and ours == _error_of(rasas, INVALID)
    assert "Failed to validate Action server response" in ours
