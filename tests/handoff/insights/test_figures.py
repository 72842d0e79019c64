"""The figures on a hand-made sequence of events whose values are worked out by hand in the comments,
on SQLite and on PostgreSQL."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from handoff.insights.events import EventKind as K
from handoff.insights.figures import Filters, Period, p90
from handoff.insights.report import summary
from tests.handoff.insights.events_by_hand import Events

D0, D1, D2 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)


@pytest.fixture
def two_days(engine: Engine) -> Engine:
    e = Events()
    e.add(D0, K.CONVERSATION_STARTED, "c7")  # before the period: its reply counts, the conversation does not
    # D1. c1: answered, rated 2 then 4 (the last counts): taken care of by the bot.
    e.add(D1, K.CONVERSATION_STARTED, "c1")
    e.add(D1, K.BOT_REPLY, "c1", "en", outcome="answer", article="A", confidence=0.8)
    e.add(D1, K.RATING, "c1", "en", rating=2)
    e.add(D1, K.RATING, "c1", "en", rating=4)
    # c2: answered with A, "not helpful", handed over, waited 30 s, first response 40 s, handled 100 s.
    e.add(D1, K.CONVERSATION_STARTED, "c2")
    answer = e.add(D1, K.BOT_REPLY, "c2", "en", outcome="answer", article="A", confidence=0.7)
    e.add(D1, K.FEEDBACK, "c2", "en", message_id=answer, helpful=False, article="A")
    e.add(D1, K.BOT_REPLY, "c2", "en", outcome="escalate", reason="not_helpful")
    e.add(D1, K.HANDOVER, "c2", "en", reason="not_helpful")
    e.add(D1, K.QUEUE_WAIT, "c2", "en", seconds=30, abandoned=False)
    e.add(D1, K.CLAIMED, "c2", "en", agent="bob")
    e.add(D1, K.AGENT_REPLY, "c2", "en", agent="bob", used_suggestion=True)
    e.add(D1, K.FIRST_RESPONSE, "c2", "en", seconds=40)
    e.add(D1, K.CLOSED, "c2", "en", agent="bob", resolution="resolved", seconds=100)
    # c3 (French): declined, then small talk: no answer.
    e.add(D1, K.CONVERSATION_STARTED, "c3")
    e.add(D1, K.BOT_REPLY, "c3", "fr", outcome="decline", reason="low_confidence", confidence=0.2)
    e.add(D1, K.BOT_REPLY, "c3", "fr", outcome="smalltalk")
    # D2. c4 (French): answered with B, helpful, yet a ticket; rated 5.
    e.add(D2, K.CONVERSATION_STARTED, "c4")
    answer = e.add(D2, K.BOT_REPLY, "c4", "fr", outcome="answer", article="B", confidence=0.6)
    e.add(D2, K.FEEDBACK, "c4", "fr", message_id=answer, helpful=True, article="B")
    e.add(D2, K.TICKET_OPENED, "c4", "fr", ticket="T000001", reason="customer_request")
    e.add(D2, K.RATING, "c4", "fr", rating=5)
    # c5: started, nothing said. c6: answered with B, asked for a person, nobody came in 90 s.
    e.add(D2, K.CONVERSATION_STARTED, "c5")
    e.add(D2, K.CONVERSATION_STARTED, "c6")
    e.add(D2, K.BOT_REPLY, "c6", "en", outcome="answer", article="B", confidence=0.9)
    e.add(D2, K.BOT_REPLY, "c6", "en", outcome="escalate", reason="customer_request")
    e.add(D2, K.HANDOVER, "c6", "en", reason="customer_request")
    e.add(D2, K.ABANDONED, "c6", "en", reason="customer_request", seconds=90)
    e.add(D2, K.QUEUE_WAIT, "c6", "en", seconds=90, abandoned=True)
    e.add(D2, K.TICKET_CLOSED, "c9", "en", ticket="T000000")
    e.add(D2, K.BOT_REPLY, "c7", "en", outcome="answer", article="A", confidence=0.95)
    e.write(engine)
    return engine


def test_the_figures_of_two_days(two_days: Engine) -> None:
    s = summary(two_days, Filters(D1, D2), 0.95, pending_events=0)
    assert (s["conversations"], s["conversations_with_messages"]) == (6, 5)  # c1-c6; c5 said nothing
    assert s["self_care_rate"] == pytest.approx(1 / 5)  # c1 alone
    # Question turns: answers c1 c2 c4 c6 c7, decline c3, escalations c2 c6 (small talk is none).
    assert s["question_turns"] == 8
    assert s["answer_rate"] == pytest.approx(5 / 8) and s["decline_rate"] == pytest.approx(1 / 8)
    assert s["escalations"] == {"not_helpful": 1, "customer_request": 1} and s["handovers"] == 2
    assert s["abandoned"] == 1
    assert s["queue_wait_s"] == {"median": 60, "p90": 90}
    assert s["first_response_s"] == {"median": 40} and s["handling_s"] == {"median": 100}
    assert s["tickets"] == {"opened": 1, "closed": 1}
    assert s["csat"] == {"mean": 4.5, "count": 2, "satisfied_rate": 1.0}
    assert s["helpful"] == {"yes": 1, "no": 1, "rate": 0.5}
    assert s["articles"] == [
        {"article": "A", "answers": 3, "unhelpful_rate": 1.0, "handovers_after": 1},
        {"article": "B", "answers": 2, "unhelpful_rate": 0.0, "handovers_after": 1},
    ]
    assert s["by_day"] == [
        {"day": "2026-03-02", "conversations": 3, "self_care_rate": pytest.approx(1 / 3),
         "answer_rate": pytest.approx(2 / 4), "handovers": 1, "csat_mean": 4},
        {"day": "2026-03-03", "conversations": 3, "self_care_rate": 0.0, "answer_rate": pytest.approx(3 / 4),
         "handovers": 1, "csat_mean": 5},
    ]


def test_filtering_by_language_follows_each_conversation(two_days: Engine) -> None:
    s = summary(two_days, Filters(D1, D2, lang="fr"), 0.95, pending_events=0)
    # c3 and c4: their starts carry no language, their replies say French.
    assert (s["conversations"], s["conversations_with_messages"], s["self_care_rate"]) == (2, 2, 0.0)
    assert s["answer_rate"] == 0.5 and s["helpful"] == {"yes": 1, "no": 0, "rate": 1.0}
    assert s["csat"]["count"] == 1 and s["escalations"] == {}


def test_a_day_without_events_has_no_rates(two_days: Engine) -> None:
    s = summary(two_days, Filters(date(2026, 4, 1), date(2026, 4, 1)), 0.95, pending_events=3)
    assert (s["conversations"], s["self_care_rate"], s["answer_rate"], s["csat"]["mean"]) == (0, None, None, None)
    assert s["queue_wait_s"] == {"median": None, "p90": None} and s["pending_events"] == 3


def test_p90_is_the_nearest_rank() -> None:
    assert p90(range(1, 11)) == 9 and p90([5]) == 5 and p90(range(1, 101)) == 90 and p90([]) is None


def test_a_period_keeps_its_channel(two_days: Engine) -> None:
    assert Period.load(two_days, Filters(D1, D2, channel="phone")).events == []


def test_a_conversations_language_holds_on_every_day_of_the_period(engine: Engine) -> None:
    e = Events()
    e.add(D1, K.CONVERSATION_STARTED, "late")  # said nothing before midnight; French the next day
    e.add(D2, K.BOT_REPLY, "late", "fr", outcome="answer", article="B", confidence=0.7)
    e.write(engine)
    days = summary(engine, Filters(D1, D2, lang="fr"), 0.95, pending_events=0)["by_day"]
    assert [(day["conversations"], day["answer_rate"]) for day in days] == [(1, None), (0, 1.0)]
