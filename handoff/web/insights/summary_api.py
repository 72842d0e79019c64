"""Supervisors' insights: the figures of a period as JSON, and per day as CSV (the threshold proposal: proposal_api)."""
from __future__ import annotations

import csv
import io
from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Response

from handoff.insights.figures import Period, by_day
from handoff.insights.report import BY_DAY_FIELDS, summary
from handoff.insights.writer import lost_events, waiting_events
from handoff.web.dependencies import CurrentSupervisor, RedisClient, Settings
from handoff.web.errors import declared
from handoff.web.insights.period import InsightsEngine, PeriodFilters, in_thread
from handoff.web.same_origin import same_origin_changes

router = APIRouter(prefix="/api/insights", tags=["insights"], dependencies=[Depends(same_origin_changes)],
                   responses=declared(401, 403, 422, 503))


@router.get("/summary")
async def insights_summary(supervisor: CurrentSupervisor, engine: InsightsEngine, redis: RedisClient,
                           settings: Settings, filters: PeriodFilters) -> dict[str, Any]:
    """Every figure of the period (README, "Figures"); `pending_events`: events recorded and not yet in the
    store (it was down), `lost_events`: events refused because they waited too long in numbers."""
    pending, lost = await waiting_events(redis), await lost_events(redis)
    result = await in_thread(partial(summary, engine, filters, settings.target_conformity, pending))
    return {**result, "lost_events": lost}


@router.get("/export.csv", response_class=Response)
async def insights_export(supervisor: CurrentSupervisor, engine: InsightsEngine, filters: PeriodFilters) -> Response:
    """One row per day of the period: the by_day figures of the summary."""
    days = await in_thread(lambda: by_day(Period.load(engine, filters)))
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=BY_DAY_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({name: "" if day[name] is None else day[name] for name in BY_DAY_FIELDS} for day in days)
    name = f"insights-{filters.first_day.isoformat()}-{filters.last_day.isoformat()}.csv"
    return Response(text.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
