"""Review of answers: the Wilson interval against known values, sampling, marks, conformity per language,
and the threshold proposal on reviews where the right threshold is known."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine

from handoff.insights.conformity import wilson
from handoff.insights.events import EventKind as K
from handoff.insights.figures import Filters, Period
from handoff.insights.proposal import lowest_threshold, proposal
from handoff.insights.review import AlreadyReviewed, UnknownAnswer, Verdict, conformity, mark, sample
from tests.handoff.insights.events_by_hand import Events

TODAY = datetime.now(timezone.utc).date()


@pytest.mark.parametrize(("correct", "reviewed", "low", "high"), [
    # Checked against scipy.stats.binomtest(k, n).proportion_ci(method="wilson"), to 4 decimals.
    (81, 100, 0.7222, 0.8749), (0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0), (1, 2, 0.0945, 0.9055),
    (95, 100, 0.8882, 0.9785),
])
def test_wilson_interval_known_values(correct: int, reviewed: int, low: float, high: float) -> None:
    interval = wilson(correct, reviewed)
    assert (round(interval.low, 4), round(interval.high, 4)) == (low, high)
    assert interval.estimate == correct / reviewed and interval.reviewed == reviewed


def test_wilson_with_nothing_reviewed_says_nothing() -> None:
    assert wilson(0, 0).estimate is None and (wilson(0, 0).low, wilson(0, 0).high) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson(3, 2)


def answers(engine: Engine, day: date, spec: list[tuple[str, str, float]]) -> list[str]:
    """Answers (lang, article, confidence) on `day`; their event ids."""
    e = Events()
    ids = [e.add(day, K.BOT_REPLY, f"c{i}", lang, outcome="answer", article=article, confidence=confidence,
                 question=f"q{i}", answer=f"a{i}") for i, (lang, article, confidence) in enumerate(spec)]
    e.add(day, K.BOT_REPLY, "cx", "en", outcome="decline", reason="out_of_scope", confidence=0.1)
    e.write(engine)
    return ids


def test_marks_are_once_per_answer_and_conformity_is_per_language(engine: Engine) -> None:
    ids = answers(engine, TODAY, [("en", "A", 0.9)] * 3 + [("fr", "B", 0.5)] * 2)
    for event_id, verdict in zip(ids, ["correct", "correct", "wrong_article", "correct", "should_have_declined"]):
        mark(engine, event_id, "rita", Verdict(verdict))
    with pytest.raises(AlreadyReviewed):
        mark(engine, ids[0], "someone else", Verdict.WRONG_ARTICLE)
    with pytest.raises(UnknownAnswer):
        mark(engine, "1-0", "rita", Verdict.CORRECT)
    period = Period.load(engine, Filters(TODAY, TODAY))
    result = conformity(engine, period, 0.95)
    assert (result["reviewed"], result["estimate"]) == (5, 0.6)
    assert (round(result["low"], 4), round(result["high"], 4)) == (round(wilson(3, 5).low, 4), round(wilson(3, 5).high, 4))
    assert result["alert"] is True and result["target"] == 0.95
    assert result["by_lang"]["en"]["estimate"] == pytest.approx(2 / 3) and result["by_lang"]["fr"]["estimate"] == 0.5


def test_the_sample_puts_new_articles_first_spans_the_confidence_bands_and_skips_reviewed(engine: Engine) -> None:
    old_day = TODAY - timedelta(days=20)
    answers(engine, old_day, [("en", "OLD", 0.5)])  # OLD was first answered with 20 days ago
    ids = answers(engine, TODAY, [("en", "OLD", c) for c in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)]
                  + [("en", "NEW", 0.95), ("en", "NEW", 0.35)])
    mark(engine, ids[0], "rita", Verdict.CORRECT)
    picked = sample(engine, 5, TODAY - timedelta(days=6), TODAY, seed=1)
    assert [item["article"] for item in picked[:2]] == ["NEW", "NEW"]
    # Then the old article's answers, one from each third of the confidences in turn.
    bands = [0 if c < 0.4 else 1 if c < 0.7 else 2 for c in (item["confidence"] for item in picked[2:5])]
    assert sorted(bands) == [0, 1, 2]
    assert ids[0] not in {item["event_id"] for item in sample(engine, 50, TODAY - timedelta(days=6), TODAY)}
    assert set(picked[0]) == {"event_id", "conversation_id", "at", "lang", "question", "answer", "article", "confidence"}
    assert sample(engine, 10, TODAY - timedelta(days=6), TODAY, lang="fr") == []


def test_the_lowest_threshold_is_the_known_one() -> None:
    # 20 wrong answers at 0.10..0.29, 80 right ones at 0.30..: by share correct, 80 / (80 + w) >= 0.95 allows
    # w = 4 wrong ones, the four most confident: the threshold is 0.26. By the Wilson low, only 80/80 (0.954)
    # reaches 0.95: 0.30.
    wrong = [(round(0.10 + i / 100, 2), False) for i in range(20)]
    right = [(round(0.30 + i * 0.007, 3), True) for i in range(80)]
    assert lowest_threshold(wrong + right, 0.95, "estimate") == 0.26
    assert lowest_threshold(wrong + right, 0.95, "wilson_low") == 0.30
    assert lowest_threshold(wrong, 0.95) is None


def test_the_proposal_from_reviews_gives_its_answer_rate(engine: Engine) -> None:
    spec = [("en", "A", round(0.10 + i / 100, 2)) for i in range(20)] + [("en", "A", round(0.30 + i * 0.007, 3)) for i in range(80)]
    ids = answers(engine, TODAY, spec)
    for event_id, (_, _, confidence) in zip(ids, spec):
        mark(engine, event_id, "rita", Verdict.CORRECT if confidence >= 0.3 else Verdict.SHOULD_HAVE_DECLINED)
    result = proposal(engine, Period.load(engine, Filters(TODAY, TODAY)), 0.95)
    # 101 question turns: 100 answers and a decline; at 0.26 the 84 answers at or above it stay.
    assert (result["proposed_threshold"], result["current_threshold"], result["reviewed"]) == (0.26, 0.10, 100)
    assert result["answer_rate_now"] == pytest.approx(100 / 101)
    assert result["answer_rate_proposed"] == pytest.approx(84 / 101)
    assert result["conformity_now"] == 0.8 and result["conformity_proposed"] == pytest.approx(80 / 84)
    assert result["basis"].startswith("estimate")
