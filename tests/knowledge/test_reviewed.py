"""Thresholds refitted on reviewed customer questions (knowledge/answering/reviewed.py)."""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge.answering.calibration import NEVER, Thresholds
from knowledge.answering.confidence.answer_model import answer_features
from knowledge.answering.matching import Ranking
from knowledge.answering.reviewed import (
    MIN_ANSWERABLE,
    fit_answer_model,
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


def _featured(rows: dict[str, tuple[str, float, tuple[float, ...]]]):  # type: ignore[no-untyped-def]
    def rank(texts: Sequence[str], langs: Sequence[str | None], blend: float) -> list[Ranking]:
        return [Ranking([rows[t][0]], [rows[t][1]], rows[t][1], features=rows[t][2]) for t in texts]
    return rank


def test_the_answer_model_answers_what_the_lead_cannot_tell_apart() -> None:
    # The lead is the same noise for right and wrong answers; the kernel's lead tells them apart.
    rng = np.random.default_rng(0)
    questions, rows = [], {}
    for i in range(400):
        text = f"q{i}"
        right = i % 3 != 0
        lead = float(rng.uniform(0.0, 0.5))
        kernel_lead = float(rng.uniform(0.3, 0.9) if right else rng.uniform(-0.5, 0.2))
        questions.append(ReviewedQuestion(text, text, "en", "kb/a"))
        rows[text] = ("kb/a" if right else "kb/b", lead, (lead, lead, lead, kernel_lead))
    fit = fit_on_reviewed(
        Thresholds(answer=0.9, escalate_request=0.5, escalate_sensitive=0.5), questions, _featured(rows),
        escalates=lambda label: label.startswith("@"), requests=lambda label: label.startswith("@"),
        target_conformity=0.97, blends=(0.0,), generic_questions=(),
    )
    assert fit.thresholds.answer_model is not None and fit.thresholds.answer_model_at < NEVER
    assert fit.answer_rate_fitted > 0.6 and fit.conformity_fitted >= 0.97  # the lead alone answers next to none
    assert fit.answer_rate_held_out > 0.6 and fit.conformity_held_out >= 0.97
    sure, unsure = (Ranking(["kb/a"], [0.1], 0.1, features=(0.1, 0.1, 0.1, k)) for k in (0.8, -0.2))
    assert fit.thresholds.answers(sure, "en") and not fit.thresholds.answers(unsure, "en")
    # A threshold set by a person wins over the model.
    assert not fit.thresholds.with_answer_thresholds({"en": 0.5}).answers(sure, "en")


def test_no_answer_model_from_too_few_wrong_answers() -> None:
    questions = [ReviewedQuestion(f"q{i}", f"q{i}", "en", "kb/a") for i in range(300)]
    rankings = [Ranking(["kb/b" if i < 5 else "kb/a"], [0.5], 0.5, features=(0.5, 0.5, 0.5, 0.5)) for i in range(300)]
    assert fit_answer_model(questions, rankings, lambda label: True, 0.97) is None


def test_answer_features_are_each_classifier_s_lead_for_the_blend_s_best() -> None:
    scores, linear, kernel = np.array([0.5, 0.3, 0.1]), np.array([0.4, 0.5, 0.1]), np.array([0.9, 0.1, 0.0])
    lead, best, linear_lead, kernel_lead = answer_features(scores, linear, kernel, None)
    assert (lead, best) == (0.2, 0.5)
    assert np.isclose(linear_lead, -0.1) and np.isclose(kernel_lead, 0.8)
    # Only the allowed labels (the customer's language) compete.
    assert np.isclose(answer_features(scores, linear, kernel, np.array([True, False, True]))[2], 0.3)


def _leaning_fit(shares: dict[str, tuple[str, float]], sensitive: int = 60,
                 generic_questions: Sequence[tuple[str, str]] = (), out_of_scope: int = 0) -> ReviewedFit:
    """`sensitive` sensitive questions, 300 answerable ones and `out_of_scope` ones, none answered or escalated on its best label
    (the no-answer label, or a sensitive article below its threshold); each leans towards the sensitive
    articles by the share given, against a self-calibrated 0.6."""
    questions = [
        ReviewedQuestion(f"q{i}", f"q{i}", "en", "escalate" if i < sensitive else "kb/a", "sensitive" if i < sensitive else None)
        for i in range(sensitive + 300)
    ] + [ReviewedQuestion(f"oos{i}", f"oos{i}", "en", "no_answer") for i in range(out_of_scope)]

    def rank(texts: Sequence[str], langs: Sequence[str | None], blend: float) -> list[Ranking]:
        return [Ranking([shares[t][0]], [0.1], 0.1, sensitive_share=shares[t][1]) for t in texts]

    return fit_on_reviewed(
        Thresholds(answer=0.9, escalate_request=0.5, escalate_sensitive=0.5, sensitive_share=0.6), questions, rank,
        escalates=lambda label: label in ("@complaint", "kb/sensitive"),
        requests=lambda label: label.startswith("@"), target_conformity=0.97, blends=(0.0,),
        generic_questions=generic_questions,
    )


def _shares(sensitive: int = 60) -> dict[str, tuple[str, float]]:
    # A third of the sensitive questions lean at 0.45, the others hardly; answerable ones hardly.
    return {f"q{i}": ("kb/sensitive", 0.45 if i % 3 == 0 else 0.1) if i < sensitive else ("@no_answer", 0.1)
            for i in range(sensitive + 300)}


def test_the_sensitive_share_is_lowered_to_the_sensitive_questions_as_long_as_they_are_a_third_of_the_hand_overs() -> None:
    shares = _shares() | {"q100": ("@no_answer", 0.5), "q101": ("@no_answer", 0.47)}
    fit = _leaning_fit(shares)
    assert fit.thresholds.sensitive_share == 0.45
    # Too many answerable questions at that share (more than 1 % of them): not lowered so far.
    crowded = shares | {f"q{i}": ("@no_answer", 0.46) for i in range(100, 110)}
    assert _leaning_fit(crowded).thresholds.sensitive_share == 0.6
    # Out-of-scope questions leaning that way outnumbering the sensitive ones: not lowered to them.
    few = {key: (label, 0.1) if label == "kb/sensitive" and key not in ("q0", "q3") else (label, share)
           for key, (label, share) in shares.items()}
    few |= {f"oos{i}": ("@no_answer", 0.46) for i in range(12)}
    assert _leaning_fit(few, out_of_scope=12).thresholds.sensitive_share == 0.6


def test_the_sensitive_share_is_kept_with_few_sensitive_questions_and_above_every_generic_one() -> None:
    assert _leaning_fit(_shares(10), sensitive=10).thresholds.sensitive_share == 0.6
    shares = _shares() | {"I have a problem": ("@no_answer", 0.5)}
    fit = _leaning_fit(shares, generic_questions=[("en", "I have a problem")])
    assert 0.5 < fit.thresholds.sensitive_share <= 0.6
