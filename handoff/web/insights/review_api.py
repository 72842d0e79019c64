"""Reviewers' routes: a sample of the bot's answers to mark, and their verdicts."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel

from handoff.insights.review import AlreadyReviewed, UnknownAnswer, Verdict, mark, sample
from handoff.web.dependencies import CurrentReviewer
from handoff.web.errors import declared
from handoff.web.insights.period import DEFAULT_DAYS, InsightsEngine, in_thread
from handoff.web.same_origin import same_origin_changes

router = APIRouter(prefix="/api/insights/review", tags=["insights"], dependencies=[Depends(same_origin_changes)],
                   responses=declared(401, 403, 503))
EventId = Path(pattern=r"^\d{1,19}-\d{1,19}$", description="the answer's event_id, from the sample")


class Mark(BaseModel):
    verdict: Verdict


@router.get("/sample")
async def review_sample(reviewer: CurrentReviewer, engine: InsightsEngine, n: int = Query(default=10, ge=1, le=100),
                        lang: str | None = Query(default=None, pattern="^[a-z]{2}$"),
                        days: int = Query(default=DEFAULT_DAYS, ge=1, le=400)) -> list[dict[str, Any]]:
    """Up to n answers of the last `days` days nobody reviewed yet: answers citing new articles first,
    stratified by confidence."""
    last = datetime.now(timezone.utc).date()
    return await in_thread(partial(sample, engine, n, last - timedelta(days=days - 1), last, lang))


@router.post("/{event_id}", status_code=204, responses=declared(400, 404, 409, 422))
async def review_answer(body: Mark, reviewer: CurrentReviewer, engine: InsightsEngine,
                        event_id: str = EventId) -> None:
    try:
        await in_thread(partial(mark, engine, event_id, reviewer.username, body.verdict))
    except UnknownAnswer:
        raise HTTPException(404, "no such bot answer") from None
    except AlreadyReviewed:
        raise HTTPException(409, "this answer was already reviewed") from None
