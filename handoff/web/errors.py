"""Faults any route may meet, turned into clear answers instead of a 500.

- The conversation store (Redis) is unreachable: 503 with a retry hint; nothing was changed.
  The assistant (Rasa, or its action server) is down: customer routes answer 503 the same way
  (handoff/web/customer.py). The widget turns either into a sentence in the customer's language.
- Text that is not valid Unicode (a lone surrogate such as "\\ud800" in a JSON string, which
  JSON allows and UTF-8 cannot store): 422, before anything is stored.
"""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

STORE_UNAVAILABLE = "the conversation store is unavailable, please retry"
NOT_UNICODE = "the text is not valid Unicode (it holds a lone surrogate)"
RETRY_AFTER_S = "5"
RETRY_LATER = {"Retry-After": RETRY_AFTER_S}


async def _store_unavailable(request: Request, error: Exception) -> JSONResponse:
    logger.warning("%s %s: Redis unavailable (%s: %s)", request.method, request.url.path, type(error).__name__, error)
    return JSONResponse({"detail": STORE_UNAVAILABLE}, status_code=503, headers=RETRY_LATER)


async def _not_unicode(request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": NOT_UNICODE}, status_code=422)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RedisError, _store_unavailable)
    app.add_exception_handler(UnicodeEncodeError, _not_unicode)
