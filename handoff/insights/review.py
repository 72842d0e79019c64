"""Review of the bot's answers: a reviewer is shown a sample of them and marks each; conformity is the
share marked correct, with its Wilson 95 % interval, overall and per language."""
from __future__ import annotations

import random
from dataclasses import asdict
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from handoff.insights.conformity import wilson
from handoff.insights.events import EventKind
from handoff.insights.figures import Period
from handoff.insights.store import events, events_between, ready, reviews, reviews_of

# An article whose first answer is this recent is new: its answers are sampled first.
NEW_ARTICLE_DAYS = 7
CONFIDENCE_BANDS = 3


class Verdict(str, Enum):
    CORRECT = "correct"
    WRONG_ARTICLE = "wrong_article"
    SHOULD_HAVE_HANDED_OVER = "should_have_handed_over"
    SHOULD_HAVE_DECLINED = "should_have_declined"


class AlreadyReviewed(Exception):
    pass


class UnknownAnswer(Exception):
    pass


def _bands(answers: list[dict[str, Any]], count: int) -> list[list[dict[str, Any]]]:
    """The answers split into `count` bands of confidence of (nearly) equal size: quantile bands."""
    ordered = sorted(answers, key=lambda a: (a["confidence"] or 0.0, a["event_id"]))
    size = len(ordered) / count if ordered else 0
    return [ordered[round(i * size):round((i + 1) * size)] for i in range(count)]


def _interleaved(bands: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    order, longest = [], max((len(band) for band in bands), default=0)
    for i in range(longest):
        order += [band[i] for band in bands if i < len(band)]
    return order


def sample(engine: Engine, n: int, first_day: date, last_day: date, lang: str | None = None,
           seed: int | None = None) -> list[dict[str, Any]]:
    """Up to n unreviewed answers of the period: those citing an article first answered with in the last
    NEW_ARTICLE_DAYS days first, each group stratified by confidence (quantile bands, taken in turn, drawn
    at random within a band)."""
    rng = random.Random(seed)
    answers = [e for e in events_between(engine, first_day, last_day, [EventKind.BOT_REPLY.value])
               if e["outcome"] == "answer" and (lang is None or e["lang"] == lang)]
    reviewed = reviews_of(engine, [a["event_id"] for a in answers]) if answers else {}
    answers = [a for a in answers if a["event_id"] not in reviewed]
    with ready(engine).connect() as connection:
        first_seen = dict(connection.execute(
            select(events.c.article, events.c.day).where(events.c.kind == EventKind.BOT_REPLY.value,
                                                         events.c.outcome == "answer", events.c.article.is_not(None))
            .order_by(events.c.day.desc())).all())  # the last row per article wins: its earliest day
    new_since = datetime.now(timezone.utc).date() - timedelta(days=NEW_ARTICLE_DAYS)
    groups = ([a for a in answers if first_seen.get(a["article"], date.min) >= new_since],
              [a for a in answers if first_seen.get(a["article"], date.min) < new_since])
    chosen: list[dict[str, Any]] = []
    for group in groups:
        bands = _bands(group, CONFIDENCE_BANDS)
        for band in bands:
            rng.shuffle(band)
        chosen += _interleaved(bands)
    return [{"event_id": a["event_id"], "conversation_id": a["conversation_id"], "at": a["at"].isoformat(),
             "lang": a["lang"], "question": a["question"], "answer": a["answer"], "article": a["article"],
             "confidence": a["confidence"]} for a in chosen[:n]]


def mark(engine: Engine, event_id: str, reviewer: str, verdict: Verdict) -> None:
    """The reviewer's verdict on one answer. Raises UnknownAnswer (no such answer), AlreadyReviewed."""
    with ready(engine).begin() as connection:
        found = connection.execute(select(events.c.outcome).where(
            events.c.event_id == event_id, events.c.kind == EventKind.BOT_REPLY.value)).scalar_one_or_none()
        if found != "answer":
            raise UnknownAnswer(event_id)
        try:
            connection.execute(reviews.insert().values(event_id=event_id, reviewer=reviewer,
                                                       verdict=Verdict(verdict).value, at=datetime.now(timezone.utc)))
        except IntegrityError:
            raise AlreadyReviewed(event_id) from None


def reviewed_answers(engine: Engine, period: Period) -> list[tuple[dict[str, Any], str]]:
    """(answer event, verdict) for the period's reviewed answers."""
    answers = [e for e in period.of(EventKind.BOT_REPLY) if e["outcome"] == "answer"]
    verdicts = reviews_of(engine, [a["event_id"] for a in answers]) if answers else {}
    return [(a, verdicts[a["event_id"]]["verdict"]) for a in answers if a["event_id"] in verdicts]


def _interval(marked: list[tuple[dict[str, Any], str]], target: float) -> dict[str, Any]:
    interval = wilson(sum(verdict == Verdict.CORRECT.value for _, verdict in marked), len(marked))
    # Nothing reviewed says nothing: no alert until there is something to judge by.
    return {**asdict(interval), "target": target, "alert": interval.reviewed > 0 and interval.low < target}


def conformity(engine: Engine, period: Period, target: float) -> dict[str, Any]:
    """Conformity: reviewed answers of the period marked correct / reviewed answers, with the Wilson 95 %
    interval (low, high); alert when something was reviewed and the interval's low is under the target.
    Also per language (by_lang)."""
    marked = reviewed_answers(engine, period)
    langs = sorted({"en", "fr"} | {a["lang"] for a, _ in marked if a["lang"]})
    return {**_interval(marked, target),
            "by_lang": {lang: _interval([m for m in marked if m[0]["lang"] == lang], target) for lang in langs}}
