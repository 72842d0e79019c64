"""Rasa's calls to the action server, without the work Rasa 3.6 repeats on each (profiled under `make bench`).

One HTTP session per endpoint: Rasa 3.6 opens a new aiohttp ClientSession for every request to an endpoint
(rasa/utils/endpoints.py, `async with self.session() as session`): a new connection pool, so a new
TCP connection, torn down again, for every custom action of every turn. `keep_sessions` makes
`EndpointConfig.session` hand out one session per endpoint and event loop, kept open, whose
kept-alive connections the next calls reuse. aiohttp drops an idle connection after 15 s, well
before the action server (Sanic, 120 s) would close it under a request.

The response schema checked once: Rasa validates each action server response with
`jsonschema.validate`, which first checks the (constant) schema itself against JSON Schema's
meta-schema: a fifth of the Rasa process's time on a question turn. `check_responses_once` validates
with one validator built once, raising the same errors.
"""
from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from jsonschema import ValidationError, exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.utils.endpoints import EndpointConfig

_SESSIONS = "_kept_sessions"  # EndpointConfig attribute: {event loop: session}


class KeptSession:
    """`async with` gives the endpoint's open session and leaves it open."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


_open_session = EndpointConfig.session


def _kept_session(endpoint: EndpointConfig) -> KeptSession:
    loop = asyncio.get_running_loop()
    sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = endpoint.__dict__.setdefault(_SESSIONS, {})
    session = sessions.get(loop)
    if session is None or session.closed:
        session = sessions[loop] = _open_session(endpoint)
    return KeptSession(session)


def keep_sessions() -> None:
    """From now on every endpoint reuses one session (per event loop); idempotent."""
    EndpointConfig.session = _kept_session  # type: ignore[method-assign,assignment]


async def close_sessions(endpoint: EndpointConfig) -> None:
    """Closes the sessions kept for `endpoint` (for a clean shutdown and for tests)."""
    for session in endpoint.__dict__.pop(_SESSIONS, {}).values():
        await session.close()


def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


_VALIDATOR: list[Any] = []  # built on first use


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with the validator built once (as jsonschema.validate, then Rasa's message)."""
    if not _VALIDATOR:
        _VALIDATOR.append(_response_validator())
    error = exceptions.best_match(_VALIDATOR[0].iter_errors(result))
    if error is None:
        return True
    assert isinstance(error, ValidationError)
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def check_responses_once() -> None:
    """From now on Rasa validates action server responses with one validator; idempotent."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
