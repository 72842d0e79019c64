"""What the insights routes share: the SQL store built in the lifespan, the period and filters a query
names, and the store's failures as 503."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Annotated, TypeVar

import anyio
from fastapi import Depends, HTTPException, Query, Request
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from handoff.insights.figures import Filters
from handoff.web.errors import RETRY_LATER

DEFAULT_DAYS = 7
MAX_DAYS = 400
T = TypeVar("T")


def _engine(request: Request) -> Engine:
    return request.app.state.insights_engine


InsightsEngine = Annotated[Engine, Depends(_engine)]


def filters(
    first: date | None = Query(default=None, alias="from", description="first day, YYYY-MM-DD (UTC); default: 6 days before `to`"),
    last: date | None = Query(default=None, alias="to", description="last day, included; default: today (UTC)"),
    lang: str | None = Query(default=None, pattern="^[a-z]{2}$"),
    channel: str | None = Query(default=None, pattern="^[a-z_-]{1,32}$"),
) -> Filters:
    last = last or datetime.now(timezone.utc).date()
    try:
        first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    except OverflowError:  # `to` in the first days of year 1
        raise HTTPException(422, "`to` is too early for a period") from None
    if first > last:
        raise HTTPException(422, "`from` must not be after `to`")
    if (last - first).days >= MAX_DAYS:
        raise HTTPException(422, f"a period of {MAX_DAYS} days at most")
    return Filters(first, last, lang or None, channel or None)


PeriodFilters = Annotated[Filters, Depends(filters)]


async def in_thread(work: Callable[[], T]) -> T:
    """SQL work off the event loop; the store unreachable is a 503 (the events wait in Redis meanwhile)."""
    try:
        return await anyio.to_thread.run_sync(work)
    except SQLAlchemyError as error:
        raise HTTPException(503, f"the insights store is unavailable: {type(error).__name__}",
                            headers=RETRY_LATER) from error
