"""The summary of a period: every figure (figures.py), the conformity of the reviewed answers (review.py)
and the count of events still waiting in the outbox: what GET /api/insights/summary returns."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from handoff.insights import figures
from handoff.insights.events import EventKind
from handoff.insights.figures import Filters, Period
from handoff.insights.review import conformity

BY_DAY_FIELDS = ("day", "conversations", "self_care_rate", "answer_rate", "handovers", "csat_mean")


def summary(engine: Engine, filters: Filters, target_conformity: float, pending_events: int) -> dict[str, Any]:
    period = Period.load(engine, filters)
    return {
        "from": filters.first_day.isoformat(),
        "to": filters.last_day.isoformat(),
        "lang": filters.lang,
        "channel": filters.channel,
        "conversations": len(figures.started_conversations(period)),
        "conversations_with_messages": len(figures.conversations_with_messages(period)),
        "self_care_rate": figures.self_care_rate(period),
        "answer_rate": figures.answer_rate(period),
        "decline_rate": figures.decline_rate(period),
        "question_turns": len(figures.question_turns(period)),
        "escalations": figures.escalations(period),
        "handovers": len(period.of(EventKind.HANDOVER)),
        "abandoned": figures.abandoned(period),
        "queue_wait_s": figures.queue_wait(period),
        "first_response_s": figures.first_response(period),
        "handling_s": figures.handling(period),
        "tickets": figures.tickets(period),
        "csat": figures.csat(period),
        "helpful": figures.helpful(period),
        "conformity": conformity(engine, period, target_conformity),
        "by_day": figures.by_day(period),
        "articles": figures.articles(period),
        "pending_events": pending_events,
    }
