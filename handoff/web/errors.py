"""Faults any route may meet, turned into clear answers instead of a 500, and the error answers the
routes declare in the API's schema.

- The conversation store (Redis) is unreachable: 503 with a retry hint; nothing was changed.
  The assistant (Rasa, or its action server) is down: customer routes answer 503 the same way
  (handoff/web/customer.py). The widget turns either into a sentence in the customer's language.
  Both carry RETRY_SOON: what causes them is over in seconds when the stores and services are
  replicated (a Redis failover, a crashed replica routed around), and the client met it only after
  waiting it out for seconds already (the Redis client's retries; the proxy's and the web app's
  resending of a cut request). The widget waits the longer of the hint and its own growing
  back-off, so a long outage is not polled every second.
  No content worker answers: the editor's routes too (handoff/web/editor_api.py), with RETRY_LATER:
  a worker is started by someone, not in seconds.
- Text that is not valid Unicode (a lone surrogate such as "\\ud800" in a JSON string, which
  JSON allows and UTF-8 cannot store): 422, before anything is stored.
"""
from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

STORE_UNAVAILABLE = "the conversation store is unavailable, please retry"
NOT_UNICODE = "the text is not valid Unicode (it holds a lone surrogate)"
RETRY_AFTER_S = "5"
RETRY_LATER = {"Retry-After": RETRY_AFTER_S}
RETRY_SOON = {"Retry-After": "1"}

# What each error status means on this API, as the schema tells clients. FastAPI declares 422 itself, with
# its validation errors, on every route that takes parameters: only the others declare it here.
MEANINGS = {
    400: "the request body could not be read (not UTF-8, or not the declared media type)",
    401: "not logged in, or the session has ended",
    403: ("the account lacks the role this needs, a change carrying the session cookie came from another site, "
          "or a customer id came without its valid signature"),
    404: "what the path names does not exist (or no longer does)",
    409: "the request conflicts with the current state (someone acted first, a job is running, an id reused)",
    413: "too large",
    422: "the request cannot be carried out as it stands (the detail says why)",
    429: "too many requests: wait for the seconds in Retry-After",
    502: "done in part: Rasa could not be told, or the mail server did not take an email (kept, marked failed)",
    503: "a service this needs is unavailable (Redis, Rasa, the content worker): retry after Retry-After",
}


class ErrorDetail(BaseModel):
    detail: str


def declared(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers a route or router may give, for its entry in the OpenAPI schema."""
    return {status: {"model": ErrorDetail, "description": MEANINGS[status]} for status in statuses}


async def _store_unavailable(request: Request, error: Exception) -> JSONResponse:
    logger.warning("%s %s: Redis unavailable (%s: %s)", request.method, request.url.path, type(error).__name__, error)
    return JSONResponse({"detail": STORE_UNAVAILABLE}, status_code=503, headers=RETRY_SOON)


async def _not_unicode(request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": NOT_UNICODE}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RedisError, _store_unavailable)
    app.add_exception_handler(UnicodeEncodeError, _not_unicode)
