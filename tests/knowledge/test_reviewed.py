"""Thresholds refitted on reviewed customer questions (knowledge/answering/reviewed.py)."""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from knowledge.answering.calibration import Thresholds
from knowledge.answering.matching import Ranking
from knowledge.answering.reviewed import (
    MIN_ANSWERABLE,
    ReviewedFit,
    ReviewedQuestion,
    file_fingerprint,
    fit_on_reviewed,
    is_held_out,
    load_reviewed,
    training_label,
)

ARTICLES = {"kb/a", "kb/b"}


def _write(path: Path, rows: Sequence[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _questions(count: int, expected: str = "kb/a") -> list[dict[str, str]]:
    return [{"id": f"q{i}", "text": f"question {i}", "lang": "en", "expected": expected} for i in range(count)]


def test_reviewed_questions_of_another_base_are_ignored(tmp_path: Path) -> None:
    other = _write(tmp_path / "other.jsonl", _questions(MIN_ANSWERABLE + 10, expected="elsewhere/x"))
    assert load_reviewed(other, ARTICLES) == []
    too_few = _write(tmp_path / "few.jsonl", _questions(MIN_ANSWERABLE - 1))
    assert load_reviewed(too_few, ARTICLES) == []
    assert load_reviewed(tmp_path / "missing.jsonl", ARTICLES) == []
    assert file_fingerprint(tmp_path / "missing.jsonl") == "none"


def test_a_garbled_line_is_skipped_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "reviewed.jsonl"
    _write(path, _questions(MIN_ANSWERABLE))
    with path.open("a", encoding="utf-8") as handle:
        handle.write("{not json\n" + json.dumps({"id": "x", "text": "no expected"}) + "\n")
    assert len(load_reviewed(path, ARTICLES)) == MIN_ANSWERABLE


def _ranker(confidence: dict[str, tuple[str, float]]):  # type: ignore[no-untyped-def]
    def rank(texts: Sequence[str], langs: Sequence[str | None], blend: float) -> list[Ranking]:
        return [Ranking([confidence[t][0]], [confidence[t][1]], confidence[t][1]) for t in texts]
    return rank


def test_the_answer_threshold_is_the_lowest_meeting_the_target_on_the_fitted_part_only() -> None:
    # Confident answers are right, unsure ones wrong: the threshold falls between them.
    questions, confidence = [], {}
    for i in range(200):
        text = f"q{i}"
        right = i % 4 != 0
        questions.append(ReviewedQuestion(text, text, "en", "kb/a"))
        confidence[text] = ("kb/a" if right else "kb/b", 0.6 if right else 0.2)
    fit = fit_on_reviewed(
        Thresholds(answer=0.9, escalate_request=0.5, escalate_sensitive=0.5), questions, _ranker(confidence),
        escalates=lambda label: label.startswith("@"), requests=lambda label: label.startswith("@"),
        target_conformity=0.97, blends=(0.0,), generic_questions=(),
    )
    assert 0.2 < fit.thresholds.answer <= 0.6
    assert fit.conformity_fitted == 1.0 and fit.conformity_held_out == 1.0
    assert 0.6 < fit.answer_rate_fitted < 0.9 and 0.6 < fit.answer_rate_held_out < 0.9  # a quarter are wrong
    assert fit.fitted + fit.held_out == 200 and 40 <= fit.held_out <= 80

    # What the held-out part says never moves the thresholds.
    for question in questions:
        if is_held_out(question.id):
            confidence[question.text] = ("kb/b", 0.99)
    refit = fit_on_reviewed(
        Thresholds(answer=0.9, escalate_request=0.5, escalate_sensitive=0.5), questions, _ranker(confidence),
        escalates=lambda label: label.startswith("@"), requests=lambda label: label.startswith("@"),
        target_conformity=0.97, blends=(0.0,), generic_questions=(),
    )
    assert refit.thresholds == fit.thresholds
    assert refit.conformity_held_out < 0.5  # and the drift shows


COMPLAINTS_THEN_ANSWERABLE = [ReviewedQuestion(f"q{i}", f"q{i}", "en", "escalate" if i < 50 else "kb/a") for i in range(150)]


def _complaints_fit(confidence: dict[str, tuple[str, float]],
                    generic_questions: Sequence[tuple[str, str]] = ()) -> ReviewedFit:
    """50 complaints then 100 answerable questions, ranked as `confidence` says, against
    self-calibrated escalation thresholds of 0.5."""
    return fit_on_reviewed(
        Thresholds(answer=0.9, escalate_request=0.5, escalate_sensitive=0.5), COMPLAINTS_THEN_ANSWERABLE,
        _ranker(confidence), escalates=lambda label: label.startswith("@"),
        requests=lambda label: label.startswith("@"), target_conformity=0.97, blends=(0.0,),
        generic_questions=generic_questions,
    )


def test_escalation_thresholds_are_only_lowered_and_never_below_half() -> None:
    confidence = {f"q{i}": ("@complaint", 0.3) if i < 50 else ("kb/a", 0.2) for i in range(150)}
    fit = _complaints_fit(confidence)
    assert fit.thresholds.escalate_request == 0.25  # no answerable question looks like a complaint
    confidence["q60"] = ("@complaint", 0.45)  # an answerable one does: stay above it
    confidence["q61"] = ("@complaint", 0.4)
    refit = _complaints_fit(confidence)
    assert 0.4 < refit.thresholds.escalate_request <= 0.5


def test_escalation_thresholds_stay_above_every_generic_question() -> None:
    confidence = {f"q{i}": ("@complaint", 0.3) if i < 50 else ("kb/a", 0.2) for i in range(150)}
    confidence |= {"I have a problem": ("@complaint", 0.35), "j'ai un problème": ("@complaint", 0.45)}
    fit = _complaints_fit(confidence, [("en", "I have a problem"), ("fr", "j'ai un problème")])
    # Without the generic questions it is 0.25 (above); the French one is not a language the questions are in.
    assert 0.35 < fit.thresholds.escalate_request < 0.45


def test_a_request_or_complaint_needs_the_confidence_of_an_answer() -> None:
    confidence = {f"q{i}": ("@complaint", 0.3) if i < 50 else ("kb/a", 0.4) for i in range(150)}
    fit = _complaints_fit(confidence)
    assert fit.thresholds.answer == 0.4
    assert fit.thresholds.escalate_request == 0.4  # not 0.25, half the self-calibrated one, which is below


def test_each_language_with_enough_reviewed_questions_gets_its_own_answer_threshold() -> None:
    questions, confidence = [], {}
    for i in range(800):
        text, lang = f"q{i}", ("en" if i % 2 else "fr")
        right = lang == "fr" or i % 3 != 0  # French answers are right even when unsure
        questions.append(ReviewedQuestion(text, text, lang, "kb/a"))
        confidence[text] = ("kb/a" if right else "kb/b", (0.6 if right else 0.2) if lang == "en" else 0.1)
    fit = fit_on_reviewed(
        Thresholds(answer=0.9, escalate_request=0.5, escalate_sensitive=0.5), questions, _ranker(confidence),
        escalates=lambda label: label.startswith("@"), requests=lambda label: label.startswith("@"),
        target_conformity=0.97, blends=(0.0,), generic_questions=(),
    )
    assert fit.thresholds.answer_for("fr") <= 0.1 < 0.2 < fit.thresholds.answer_for("en") <= 0.6
    assert fit.thresholds.answer_for("de") == fit.thresholds.answer  # no reviewed German: the overall one
    assert fit.conformity_held_out == 1.0


def test_only_the_fitted_part_of_the_reviewed_questions_trains_and_each_kind_has_its_label() -> None:
    with_variants = {"kb/a"}
    fitted = next(f"q{i}" for i in range(100) if not is_held_out(f"q{i}"))
    held = next(f"q{i}" for i in range(100) if is_held_out(f"q{i}"))

    def question(question_id: str, expected: str, reason: str | None = None) -> ReviewedQuestion:
        return ReviewedQuestion(question_id, "text", "en", expected, reason)

    assert training_label(question(fitted, "kb/a"), with_variants) == "kb/a"
    assert training_label(question(held, "kb/a"), with_variants) is None
    assert training_label(question(fitted, "kb/b"), with_variants) is None  # a plain document: passages find it
    assert training_label(question(fitted, "escalate", "complaint"), with_variants) == "@complaint"
    assert training_label(question(fitted, "escalate", "customer_request"), with_variants) == "@request_human"
    assert training_label(question(fitted, "escalate", "sensitive"), with_variants) is None  # the engine picks the article
    assert training_label(question(fitted, "no_answer"), with_variants) == "@no_answer"
