"""The simulated day's own arithmetic: the figures it expects from a hand-written journal, its Wilson
interval on known cases, and the comparison that makes `python -m ops.simulate_day` exit 1."""
from __future__ import annotations

import pytest

from ops.simulate_day.compare import compare
from ops.simulate_day.expected import expected_figures, wilson_interval
from ops.simulate_day.journal import ConversationRecord, Journal, Reply, Turn, Verdict


def reply(outcome: str, reason: str | None = None, route: str | None = None, article: str | None = None,
          ticket: str | None = None, message_id: str | None = None) -> Reply:
    return Reply(outcome, reason, route, article, "en", ticket, message_id)


def journal() -> Journal:
    answered = ConversationRecord("c1", "en", "answer_helpful", turns=[
        Turn("message", "q1", "bot", (reply("decline", "low_confidence"),)),
        Turn("message", "q2", "bot", (reply("answer", article="lumen/a", message_id="1-0"),)),
        Turn("feedback", "yes", "bot", ()),
        Turn("message", "thanks", "bot", (reply("smalltalk"),))],
        helpful={"1-0": True}, helpful_article={"1-0": "lumen/a"}, ratings=[5])
    unhelpful = ConversationRecord("c2", "fr", "answer_unhelpful", turns=[
        Turn("message", "q", "bot", (reply("answer", article="lumen/a", message_id="2-0"),)),
        Turn("feedback", "no", "queued", (reply("escalate", "not_helpful", "agent"),))],
        helpful={"2-0": False}, helpful_article={"2-0": "lumen/a"}, ratings=[1, 3])
    ticket = ConversationRecord("c3", "en", "ticket", turns=[
        Turn("message", "a person", "bot", (reply("escalate", "customer_request", "ticket"),)),
        Turn("message", "me@example.com", "bot", (reply("ticket", ticket="T000001"),))], ratings=[4])
    silent = ConversationRecord("c4", "fr", "decline")  # started, never wrote
    verdicts = [Verdict("1-0", "c1", "en", "correct"), Verdict("2-0", "c2", "fr", "wrong_article")]
    return Journal(conversations=[answered, unhelpful, ticket, silent], tickets_done=["T000001"], verdicts=verdicts)


def test_the_figures_follow_the_definitions_on_a_known_journal() -> None:
    figures = expected_figures(journal())
    assert (figures["conversations"], figures["conversations_with_messages"], figures["question_turns"]) == (4, 3, 5)
    assert figures["self_care_rate"] == pytest.approx(1 / 3)  # c1 only: c2 was unhelpful and handed over, c3 a ticket
    assert (figures["answer_rate"], figures["decline_rate"]) == (pytest.approx(2 / 5), pytest.approx(1 / 5))
    assert (figures["handovers"], figures["escalations"]) == (1, {"not_helpful": 1})  # a ticket is no hand-over
    assert figures["tickets"] == {"opened": 1, "closed": 1}
    assert figures["csat"] == {"mean": pytest.approx(4.0), "count": 3, "satisfied_rate": pytest.approx(2 / 3)}  # c2's last: 3
    assert figures["helpful"] == {"yes": 1, "no": 1, "rate": 0.5}
    assert figures["articles"] == {"lumen/a": {"answers": 2, "unhelpful_rate": 0.5, "handovers_after": 1}}
    assert (figures["conformity"]["reviewed"], figures["conformity"]["estimate"]) == (2, 0.5)
    assert figures["conformity"]["by_lang"]["fr"]["estimate"] == 0.0


@pytest.mark.parametrize(("correct", "total", "low", "high"), [(81, 100, 0.7222, 0.8749), (0, 10, 0.0, 0.2775),
                                                               (10, 10, 0.7225, 1.0)])
def test_wilson_interval_on_known_cases(correct: int, total: int, low: float, high: float) -> None:
    interval = wilson_interval(correct, total)
    assert (round(interval["low"], 4), round(interval["high"], 4)) == (low, high)


def test_a_figure_that_differs_is_a_mismatch_and_equal_ones_are_not() -> None:
    expected = expected_figures(journal())
    summary = {**expected, "articles": [{"article": "lumen/a", **expected["articles"]["lumen/a"]}],
               "escalations": {"not_helpful": 1}, "pending_events": 0}
    assert compare(expected, summary, None)[1] == []
    _, mismatches = compare(expected, {**summary, "handovers": 2, "escalations": {"not_helpful": 1, "complaint": 1}}, None)
    assert mismatches == ["escalations.complaint: expected 0, got 1", "handovers: expected 1, got 2"]


def test_with_a_baseline_only_what_the_run_added_to_the_counts_is_compared() -> None:
    expected = expected_figures(journal())
    before = {"conversations": 10, "tickets": {"opened": 2, "closed": 0}, "self_care_rate": 0.9}
    after = {**expected, "conversations": 14, "tickets": {"opened": 3, "closed": 1}, "self_care_rate": 0.1}
    rows, mismatches = compare(expected, after, before)
    assert mismatches == []
    assert "self_care_rate" not in [name for name, _, _ in rows]
