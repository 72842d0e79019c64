"""The figures, each defined once: its docstring is its definition (the README's "Figures" repeats them).

A period is whole UTC days, first..last inclusive. Conversation figures count the conversations started in
the period, with their events of the period; reply, hand-over, wait and ticket figures count the events of
the period. A conversation's language is the first language one of its events names; its channel, the one
its start names. Filtering by language keeps an event whose own language, or else its conversation's,
matches. Rates are None when their denominator is 0. Medians are the middle value (the mean of the two
middle ones for an even count); p90 is the nearest rank: the ceil(0.9 n)-th smallest value."""
from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import Engine

from handoff.insights.events import EventKind
from handoff.insights.store import day_range, events_between

Event = dict[str, Any]
# The bot replies that answer a question (smalltalk, contact forms and ticket notices do not).
QUESTION_OUTCOMES = frozenset({"answer", "decline", "escalate"})


class Filters(NamedTuple):
    """Whole UTC days first_day..last_day (inclusive); a language and a channel, or None for all."""

    first_day: date
    last_day: date
    lang: str | None = None
    channel: str | None = None


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def median(values: Iterable[float]) -> float | None:
    ordered = sorted(values)
    return statistics.median(ordered) if ordered else None


def p90(values: Iterable[float]) -> float | None:
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1] if ordered else None


class Period:
    """The events of a period, filtered, grouped by conversation."""

    def __init__(self, events: list[Event], filters: Filters, filtered: bool = False) -> None:
        """`filtered`: the events were kept by these filters already (one day of a period)."""
        self.filters = filters
        self.events = events if filtered else self._kept(events, filters)
        self.by_conversation: dict[str, list[Event]] = defaultdict(list)
        for event in self.events:
            self.by_conversation[event["conversation_id"]].append(event)

    @staticmethod
    def _kept(events: list[Event], filters: Filters) -> list[Event]:
        if filters.lang is None and filters.channel is None:
            return events
        lang_of: dict[str, str] = {}
        channel_of: dict[str, str] = {}
        for event in events:
            if event["lang"]:
                lang_of.setdefault(event["conversation_id"], event["lang"])
            if event["kind"] == EventKind.CONVERSATION_STARTED.value:
                channel_of[event["conversation_id"]] = event["channel"]

        def kept(event: Event) -> bool:
            lang = event["lang"] or lang_of.get(event["conversation_id"])
            channel = channel_of.get(event["conversation_id"], event["channel"])
            return (filters.lang is None or lang == filters.lang) and (filters.channel is None or channel == filters.channel)

        return [event for event in events if kept(event)]

    @classmethod
    def load(cls, engine: Engine, filters: Filters) -> Period:
        return cls(events_between(engine, filters.first_day, filters.last_day), filters)

    def of(self, *kinds: EventKind) -> list[Event]:
        names = {kind.value for kind in kinds}
        return [event for event in self.events if event["kind"] in names]

    def days(self) -> dict[date, Period]:
        """The period day by day (every day of it, with or without events)."""
        per_day: dict[date, list[Event]] = {day: [] for day in day_range(self.filters.first_day, self.filters.last_day)}
        for event in self.events:
            per_day.setdefault(event["day"], []).append(event)
        return {day: Period(events, self.filters._replace(first_day=day, last_day=day), filtered=True)
                for day, events in per_day.items()}


def started_conversations(period: Period) -> list[str]:
    """Conversations: the conversations started in the period."""
    return [event["conversation_id"] for event in period.of(EventKind.CONVERSATION_STARTED)]


def conversations_with_messages(period: Period) -> list[str]:
    """Conversations with messages: conversations started in the period in which the bot replied at least
    once (every bot turn answers a customer message)."""
    return [c for c in started_conversations(period)
            if any(e["kind"] == EventKind.BOT_REPLY.value for e in period.by_conversation[c])]


def self_cared(conversation: list[Event]) -> bool:
    """A conversation the bot took care of: at least one answer, and no hand-over, no ticket and no
    "not helpful" on any answer."""
    kinds = {event["kind"] for event in conversation}
    answered = any(e["kind"] == EventKind.BOT_REPLY.value and e["outcome"] == "answer" for e in conversation)
    unhelpful = any(e["kind"] == EventKind.FEEDBACK.value and e["helpful"] is False for e in conversation)
    return (answered and not unhelpful
            and not kinds & {EventKind.HANDOVER.value, EventKind.TICKET_OPENED.value})


def self_care_rate(period: Period) -> float | None:
    """Self-care rate: conversations the bot took care of (self_cared) / conversations with messages."""
    with_messages = conversations_with_messages(period)
    return rate(sum(self_cared(period.by_conversation[c]) for c in with_messages), len(with_messages))


def question_turns(period: Period) -> list[Event]:
    """Question turns: bot replies whose outcome is answer, decline or escalate (not smalltalk, contact
    forms or ticket notices)."""
    return [e for e in period.of(EventKind.BOT_REPLY) if e["outcome"] in QUESTION_OUTCOMES]


def answer_rate(period: Period) -> float | None:
    """Answer rate: question turns answered (outcome answer) / question turns."""
    turns = question_turns(period)
    return rate(sum(e["outcome"] == "answer" for e in turns), len(turns))


def decline_rate(period: Period) -> float | None:
    """Decline rate: question turns declined (outcome decline) / question turns."""
    turns = question_turns(period)
    return rate(sum(e["outcome"] == "decline" for e in turns), len(turns))


def escalations(period: Period) -> dict[str, int]:
    """Escalations by reason: hand-overs to the agents' queue, counted per reason."""
    return dict(Counter(e["reason"] or "unknown" for e in period.of(EventKind.HANDOVER)))


def abandoned(period: Period) -> int:
    """Abandonment while waiting: chats no agent took in time (or in whose language none was online),
    handed back to the bot."""
    return len(period.of(EventKind.ABANDONED))


def queue_wait(period: Period) -> dict[str, float | None]:
    """Queue wait: seconds from the hand-over to the claim, or to giving up; median and p90."""
    waits = [e["seconds"] for e in period.of(EventKind.QUEUE_WAIT) if e["seconds"] is not None]
    return {"median": median(waits), "p90": p90(waits)}


def first_response(period: Period) -> dict[str, float | None]:
    """Agent first response: seconds from the hand-over to the agent's first reply; median."""
    return {"median": median(e["seconds"] for e in period.of(EventKind.FIRST_RESPONSE) if e["seconds"] is not None)}


def handling(period: Period) -> dict[str, float | None]:
    """Handling time: seconds from the claim to closing or handing back; median."""
    return {"median": median(e["seconds"] for e in period.of(EventKind.CLOSED, EventKind.HANDED_BACK)
                             if e["seconds"] is not None)}


def tickets(period: Period) -> dict[str, int]:
    """Tickets opened and closed (done) in the period."""
    return {"opened": len(period.of(EventKind.TICKET_OPENED)), "closed": len(period.of(EventKind.TICKET_CLOSED))}


def csat(period: Period) -> dict[str, Any]:
    """CSAT: each conversation's last 1-5 rating in the period; their mean, their count, and the share of
    4 and 5 (satisfied_rate)."""
    last = {e["conversation_id"]: e["rating"] for e in period.of(EventKind.RATING) if e["rating"] is not None}
    ratings = list(last.values())
    return {"mean": statistics.fmean(ratings) if ratings else None, "count": len(ratings),
            "satisfied_rate": rate(sum(r >= 4 for r in ratings), len(ratings))}


def _last_feedback(period: Period) -> dict[tuple[str, str], Event]:
    return {(e["conversation_id"], e["message_id"]): e for e in period.of(EventKind.FEEDBACK)}


def helpful(period: Period) -> dict[str, Any]:
    """Per-answer "helpful?": the last yes or no given to each answer; rate = yes / (yes + no)."""
    verdicts = [e["helpful"] for e in _last_feedback(period).values()]
    yes, no = sum(v is True for v in verdicts), sum(v is False for v in verdicts)
    return {"yes": yes, "no": no, "rate": rate(yes, yes + no)}


def articles(period: Period) -> list[dict[str, Any]]:
    """Per article: answers citing it; unhelpful rate (last verdicts on answers citing it: no / (yes + no));
    hand-overs after it (hand-overs whose conversation's last answer before them cited it). Worst first:
    highest unhelpful rate, then most hand-overs after, then most answers."""
    answers: Counter[str] = Counter()
    handovers_after: Counter[str] = Counter()
    for conversation in period.by_conversation.values():
        last_article = None
        for event in conversation:
            if event["kind"] == EventKind.BOT_REPLY.value and event["outcome"] == "answer" and event["article"]:
                answers[event["article"]] += 1
                last_article = event["article"]
            elif event["kind"] == EventKind.HANDOVER.value and last_article:
                handovers_after[last_article] += 1
    verdicts: dict[str, list[bool]] = defaultdict(list)
    for event in _last_feedback(period).values():
        if event["article"]:
            verdicts[event["article"]].append(bool(event["helpful"]))
    rows = [{"article": article, "answers": answers[article],
             "unhelpful_rate": rate(verdicts[article].count(False), len(verdicts[article])),
             "handovers_after": handovers_after[article]}
            for article in sorted(set(answers) | set(handovers_after) | set(verdicts))]
    return sorted(rows, key=lambda r: (-(r["unhelpful_rate"] if r["unhelpful_rate"] is not None else -1),
                                       -r["handovers_after"], -r["answers"], r["article"]))


def by_day(period: Period) -> list[dict[str, Any]]:
    """Per day of the period: conversations started, their self-care rate, the answer rate, hand-overs and
    CSAT mean of that day (each as defined above, on that day alone)."""
    days = []
    for day, one in period.days().items():
        days.append({"day": day.isoformat(), "conversations": len(started_conversations(one)),
                     "self_care_rate": self_care_rate(one), "answer_rate": answer_rate(one),
                     "handovers": len(one.of(EventKind.HANDOVER)), "csat_mean": csat(one)["mean"]})
    return days
