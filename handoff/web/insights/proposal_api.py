"""The answer threshold the reviewed answers of a period propose (supervisors), and its application as a new
knowledge-base version (editors): a content job, like a publish or a rollback, rolled back like them from
the editor's "Versions"."""
from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from handoff.insights.figures import Filters, Period
from handoff.insights.proposal import NotApplicable, proposal, thresholds_to_apply
from handoff.settings import HandoffSettings
from handoff.web.dependencies import CurrentEditor, CurrentSupervisor, Settings, Team
from handoff.web.errors import declared
from handoff.web.insights.period import InsightsEngine, PeriodFilters, in_thread
from handoff.web.same_origin import same_origin_changes
from knowledge.publishing.jobs import JobBusy

router = APIRouter(prefix="/api/insights/proposal", tags=["insights"], dependencies=[Depends(same_origin_changes)],
                   responses=declared(401, 403, 422, 503))


class ApplyRequest(BaseModel):
    version: int = Field(ge=1, description="the live version the proposal was shown with (its `live_version`)")


def _proposed(engine: Engine, filters: Filters, settings: HandoffSettings) -> dict[str, Any]:
    return proposal(engine, Period.load(engine, filters), settings.target_conformity)


@router.get("")
async def threshold_proposal(supervisor: CurrentSupervisor, engine: InsightsEngine, settings: Settings, team: Team,
                             filters: PeriodFilters) -> dict[str, Any]:
    """An answer threshold recalibrated from the reviewed answers of the period; `live_version`: the version the
    bot answers from (what applying it builds on), `live_answer_thresholds`: the answer thresholds it sets from
    reviewed answers (language, "*" for all; {}: the calibrated ones), `apply_refused`: why the proposal cannot
    be applied, or null."""
    result = await in_thread(lambda: _proposed(engine, filters, settings))
    try:
        thresholds_to_apply(result, filters, settings.min_reviews_to_apply)
        refused = None
    except NotApplicable as error:
        refused = str(error)
    head = await anyio.to_thread.run_sync(team.live_head)
    return {**result, "live_version": head.number if head else None,
            "live_answer_thresholds": head.answer_thresholds if head else {}, "apply_refused": refused}


@router.post("/apply", status_code=202, responses=declared(400, 409))
async def apply_proposal(body: ApplyRequest, editor: CurrentEditor, engine: InsightsEngine, settings: Settings,
                         team: Team, filters: PeriodFilters) -> dict[str, Any]:
    """Apply the period's proposal as a new knowledge-base version (a job: poll /api/editor/jobs/{id}): the same
    articles, answering at the proposed threshold in the period's language (every language without one). 422
    without a proposal to apply (too few reviews, none reaching the target, a channel filter); 409 when
    `version` is no longer live, or while another publish, rollback or check runs."""
    result = await in_thread(lambda: _proposed(engine, filters, settings))
    try:
        thresholds = thresholds_to_apply(result, filters, settings.min_reviews_to_apply)
    except NotApplicable as error:
        raise HTTPException(422, str(error)) from None
    live = await anyio.to_thread.run_sync(team.live_version)
    if live != body.version:
        raise HTTPException(409, f"the knowledge base moved since the proposal was shown: v{body.version} then, "
                                 f"{f'v{live}' if live else 'nothing'} live now; reload the proposal and apply it again")
    where = f"{filters.first_day.isoformat()} to {filters.last_day.isoformat()}" + (f", {filters.lang}" if filters.lang else "")
    note = f"thresholds from {result['reviewed']} reviewed answers ({where})"
    try:
        job = await team.jobs.start("thresholds", editor.username, author=editor.username, answer_thresholds=thresholds,
                                    base=body.version, note=note)
    except JobBusy as error:
        raise HTTPException(409, str(error)) from None
    return job.public()
