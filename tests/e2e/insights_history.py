"""Weeks of service written straight into an insights store, for the dashboard's browser test: each day a few
conversations in English and French that were answered (and found helpful), declined, handed over to an
advisor, found unhelpful and handed over, or ended with a ticket, with their ratings. Deterministic: the
same days give the same figures."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Any

from handoff.insights.events import EventKind, event_fields
from handoff.insights.review import Verdict, mark
from handoff.insights.store import make_engine, row_of, write_events

ARTICLES = {"en": ["lumen/reset-password-en", "lumen/roaming-abroad-en", "lumen/delivery-times-costs-en"],
            "fr": ["lumen/reset-password-fr", "lumen/roaming-abroad-fr", "lumen/delivery-times-costs-fr"]}
QUESTIONS = {"en": "How do I reset my password?", "fr": "Comment réinitialiser mon mot de passe ?"}


class _Day:
    def __init__(self, day: datetime) -> None:
        self.ms = int(day.timestamp() * 1000)
        self.rows: list[dict[str, Any]] = []

    def add(self, kind: EventKind, conversation: str, lang: str, **fields: Any) -> str:
        self.ms += 7_000
        event_id = f"{self.ms}-0"
        self.rows.append(row_of(event_id, event_fields(kind, conversation, lang, at_ms=self.ms, **fields)))
        return event_id


def _conversation(day: _Day, number: int, index: int, lang: str) -> None:
    cid = f"history-{number:05d}"
    article = ARTICLES[lang][number % 3]
    day.add(EventKind.CONVERSATION_STARTED, cid, lang)

    def answer(confidence: float) -> str:
        return day.add(EventKind.BOT_REPLY, cid, lang, outcome="answer", article=article, confidence=confidence,
                       question=QUESTIONS[lang], answer=f"The answer of {article}.")

    def handover(reason: str) -> None:
        day.add(EventKind.BOT_REPLY, cid, lang, outcome="escalate", reason=reason, question=QUESTIONS[lang])
        day.add(EventKind.HANDOVER, cid, lang, reason=reason)
        day.add(EventKind.QUEUE_WAIT, cid, lang, seconds=20 + number % 90, abandoned=False)
        day.add(EventKind.CLAIMED, cid, lang, agent="alice")
        day.add(EventKind.FIRST_RESPONSE, cid, lang, seconds=35 + number % 60, agent="alice")
        day.add(EventKind.CLOSED, cid, lang, seconds=200 + number % 300, resolution="resolved", agent="alice")

    plan = index % 6
    if plan in (0, 5):
        message = answer(0.2 + (number % 7) / 10)
        day.add(EventKind.FEEDBACK, cid, lang, message_id=message, helpful=True, article=article)
        day.add(EventKind.RATING, cid, lang, rating=5 - number % 2)
    elif plan == 1:
        day.add(EventKind.BOT_REPLY, cid, lang, outcome="decline", reason="out_of_scope", question="what is the weather?")
        day.add(EventKind.RATING, cid, lang, rating=2 + number % 2)
    elif plan == 2:
        handover("customer_request" if number % 3 else "complaint")
        day.add(EventKind.RATING, cid, lang, rating=4)
    elif plan == 3:
        message = answer(0.15)
        day.add(EventKind.FEEDBACK, cid, lang, message_id=message, helpful=False, article=article)
        handover("not_helpful")
        day.add(EventKind.RATING, cid, lang, rating=1 + number % 3)
    else:
        day.add(EventKind.BOT_REPLY, cid, lang, outcome="escalate", reason="sensitive", question="my phone was stolen")
        day.add(EventKind.TICKET_OPENED, cid, lang, ticket=f"T{number:06d}", reason="sensitive")
        if number % 2:
            day.add(EventKind.TICKET_CLOSED, cid, lang, ticket=f"T{number:06d}")


# A reviewer's verdicts on the answers before today, in turn: 10 correct of 12 (today's are left to review).
VERDICTS = [Verdict.CORRECT] * 5 + [Verdict.WRONG_ARTICLE] + [Verdict.CORRECT] * 5 + [Verdict.SHOULD_HAVE_DECLINED]


def seed_history(database_url: str, days: int = 21, today: datetime | None = None) -> None:
    """`days` days up to today (UTC), 4 to 9 conversations a day, more of them answered as the weeks go on;
    the answers before today reviewed."""
    today = today or datetime.now(timezone.utc)
    engine = make_engine(database_url)
    number = reviewed = 0
    try:
        for back in range(days - 1, -1, -1):
            date = (today - timedelta(days=back)).date()
            day = _Day(datetime.combine(date, time(0, 5), tzinfo=timezone.utc))
            for index in range(4 + (days - back) % 6):
                number += 1
                # Earlier weeks hand over more: plan 2 (a person) takes the place of plan 0 (an answer).
                plan = 2 if back > 10 and index % 6 == 0 else index
                _conversation(day, number, plan, "en" if number % 3 else "fr")
            write_events(engine, day.rows)
            if back:
                answers = [row["event_id"] for row in day.rows if row["kind"] == "bot_reply" and row["outcome"] == "answer"]
                for event_id in answers:
                    mark(engine, event_id, "rita", VERDICTS[reviewed % len(VERDICTS)])
                    reviewed += 1
    finally:
        engine.dispose()
