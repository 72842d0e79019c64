"""Thresholds refitted on reviewed customer questions, when the site has some.

Self-calibration (fitting.py) learns from the articles' own variants, which are shorter and
closer to the titles than what customers really type: it is too cautious on a small help
centre and too lenient on a large one. Real questions, labelled by a person (the query format
of shared/eval/README.md: an article id, "escalate" or "no_answer"), say how the confidence
behaves on traffic. A fixed part of them (by a hash of their id) is held out and never used
to fit: the conformity measured on it is reported next to the fitted part's, so drift shows.
The fitted part may also train the variant classifiers (`training_label`; the engine keeps that
only when the cross-fitted scores say it answers more at the target).
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from knowledge.answering.calibration import BLENDS, NEVER, Thresholds, load_out_of_scope_examples
from knowledge.answering.confidence.leaning import Deciders, lowered_sensitive_share
from knowledge.answering.matching import Ranking
from knowledge.answering.triggers import NO_ANSWER_LABEL, trigger_label
from knowledge.contract import EscalationReason

logger = logging.getLogger(__name__)

# Share of the reviewed questions kept out of fitting, to measure drift.
HELD_OUT_SHARE = 0.3
# Fewer answerable reviewed questions matching the base than this: keep self-calibration.
MIN_ANSWERABLE = 40
# A language with at least this many answerable fitted questions gets its own answer threshold
# (with 65 per language on the sample help centre, one wrong English answer moved the English
# threshold from 0.23 to 0.31 and cost a sixth of its answers: pooled is steadier).
MIN_ANSWERABLE_PER_LANGUAGE = 200
# The conformity of the answers above a threshold is an estimate from a few hundred questions:
# a threshold is kept only if the lower end of its Wilson interval at this many standard
# errors reaches the target (half a standard error: one cost a fifth of the sample help
# centre's English answers, none let bitext's held-out conformity fall 4 points).
CONFORMITY_MARGIN_Z = 0.5
# At most this share of answerable questions may be handed to an advisor by a lowered
# escalation threshold (a needless hand-over costs an advisor's time), and a threshold is
# never lowered below this share of the self-calibrated one: a few hundred reviewed
# questions cannot show every way an ordinary question resembles a complaint.
MAX_FALSE_ESCALATION = 0.01
# At most this share of the reviewed out-of-scope questions may be answered (from any article),
# and at least one of them: with a dozen, one outlier alone would set the threshold. Traffic
# answers more of them than the fitted questions do. On CLINC150's held-out part (62 fitted
# out-of-scope questions, so 3, 2 or 1 may be answered): at 5 %, 0.918 answered and 8 % of the
# out-of-scope ones too; at 4 %, 0.895 and 5 %; at 3 %, 0.835 and 3 %.
MAX_OUT_OF_SCOPE_ANSWERED = 0.04
MIN_ESCALATION_SHARE = 0.5
# The answer model (fit_answer_model) is fitted only with this many right and this many wrong answers, its
# threshold chosen on probabilities cross-fitted in this many folds; its weights are barely penalised (a
# handful of features against hundreds of questions). On banking77's fitted part, cross-fitted: 0.72 of
# the answerable questions answered at 0.974 conformity, against 0.68 by the lead alone.
MIN_ANSWER_MODEL_EXAMPLES = 20
ANSWER_MODEL_FOLDS = 5
ANSWER_MODEL_C = 10.0

# Escalation reasons of reviewed questions that train a trigger label (a sensitive question names
# no article, so it trains nothing).
REVIEWED_TRIGGERS = {
    EscalationReason.CUSTOMER_REQUEST.value: trigger_label("request_human"),
    EscalationReason.COMPLAINT.value: trigger_label("complaint"),
}

Rank = Callable[[Sequence[str], Sequence[str | None], float], list[Ranking]]
IsEscalation = Callable[[str], bool]
IsRequest = Callable[[str], bool]


@dataclass(frozen=True)
class ReviewedQuestion:
    id: str
    text: str
    lang: str | None
    expected: str  # an article id, "escalate" or "no_answer"
    reason: str | None = None  # why an "escalate" question goes to a person (EscalationReason's value)

    @property
    def answerable(self) -> bool:
        return self.expected not in ("escalate", "no_answer")

    @property
    def held_out(self) -> bool:
        return is_held_out(self.id)


def is_held_out(question_id: str) -> bool:
    """A fixed part of the reviewed questions, by a hash of their id: never used to fit."""
    digest = hashlib.sha256(question_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < HELD_OUT_SHARE


def file_fingerprint(path: Path | None) -> str:
    """Short content hash of the reviewed file ('none' without one): part of the calibration key."""
    if path is None or not path.is_file():
        return "none"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def load_reviewed(path: Path | None, articles: set[str]) -> list[ReviewedQuestion]:
    """The reviewed questions that fit this base: none unless most answerable ones name its articles."""
    if path is None or not path.is_file():
        return []
    questions: list[ReviewedQuestion] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(ReviewedQuestion(
                str(row["id"]), str(row["text"]), row.get("lang"), str(row["expected"]), row.get("reason")
            ))
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            logger.warning("%s:%d: not a reviewed question (%s); skipped", path, number, error)
    answerable = [q for q in questions if q.answerable]
    known = [q for q in answerable if q.expected in articles]
    if len(known) < MIN_ANSWERABLE or len(known) < 0.5 * len(answerable):
        return []
    return [q for q in questions if not q.answerable or q.expected in articles]


def training_label(question: ReviewedQuestion, labels_with_variants: set[str]) -> str | None:
    """The label a reviewed question trains the variant classifiers on, if any: its article
    (one matched by question variants), or the trigger of a request for a person or a complaint.
    Only the fitted part trains: the held-out part stays unseen, so drift still shows."""
    if question.held_out:
        return None
    if question.answerable:
        return question.expected if question.expected in labels_with_variants else None
    if question.expected == "escalate":
        return REVIEWED_TRIGGERS.get(question.reason or "")
    return NO_ANSWER_LABEL


@dataclass(frozen=True)
class ReviewedFit:
    thresholds: Thresholds
    fitted: int
    held_out: int
    conformity_fitted: float
    conformity_held_out: float
    answer_rate_fitted: float
    answer_rate_held_out: float

    def summary(self) -> str:
        return (
            f"fitted on {self.fitted} reviewed questions: answer rate {self.answer_rate_fitted:.3f} at conformity "
            f"{self.conformity_fitted:.3f}; {self.held_out} held out: answer rate {self.answer_rate_held_out:.3f} "
            f"at conformity {self.conformity_held_out:.3f} (drift {self.conformity_held_out - self.conformity_fitted:+.3f})"
        )


def _answer_threshold(questions: Sequence[ReviewedQuestion], rankings: Sequence[Ranking],
                      answers: Callable[[str], bool], target_conformity: float) -> float:
    """The lowest threshold whose answers reach the target conformity and leave the out-of-scope questions alone."""
    rows = [i for i, r in enumerate(rankings) if r.best and answers(r.best)]
    confidence = np.array([rankings[i].confidence for i in rows])
    good = np.array([questions[i].expected == rankings[i].best for i in rows], dtype=bool)
    out_of_scope = [rankings[i].confidence for i in rows if questions[i].expected == "no_answer"]
    return max(
        _lowest_confident_threshold(confidence, good, target_conformity),
        _out_of_scope_threshold(out_of_scope, sum(q.expected == "no_answer" for q in questions)),
    )


def passage_answer_threshold(questions: Sequence[ReviewedQuestion], rankings: Sequence[Ranking],
                             target_conformity: float) -> float:
    """The passage path's answer threshold on reviewed questions ranked by it (their fitted part)."""
    return _answer_threshold(questions, rankings, lambda label: True, target_conformity)


def wilson_lower_bound(right: np.ndarray, total: np.ndarray, z: float) -> np.ndarray:
    share = right / np.maximum(total, 1)
    centre = share + z * z / (2 * total)
    spread = z * np.sqrt(share * (1 - share) / total + z * z / (4 * total * total))
    return (centre - spread) / (1 + z * z / total)


def _lowest_confident_threshold(confidence: np.ndarray, good: np.ndarray, target: float) -> float:
    """Lowest confidence cut whose answers' conformity (lower Wilson bound) reaches the target."""
    if confidence.size == 0:
        return NEVER
    order = np.argsort(-confidence)
    ranked = confidence[order]
    total = np.arange(1, len(order) + 1, dtype=float)
    bound = wilson_lower_bound(np.cumsum(good[order].astype(float)), total, CONFORMITY_MARGIN_Z)
    best = NEVER
    for i in range(len(order)):
        if i + 1 < len(order) and ranked[i + 1] == ranked[i]:
            continue  # never cut inside a run of equal confidences
        if bound[i] >= target:
            best = float(ranked[i])
    return best


def _rates(questions: Sequence[ReviewedQuestion], rankings: Sequence[Ranking], thresholds: float | Thresholds,
           answers: Callable[[str], bool]) -> tuple[float, float]:
    """(answer rate, conformity) of answering the best label at or above the (language's) threshold,
    or as the thresholds' answer model says."""
    def sure(question: ReviewedQuestion, ranking: Ranking) -> bool:
        if isinstance(thresholds, Thresholds):
            return thresholds.answers(ranking, question.lang or "")
        return ranking.confidence >= thresholds

    answered = [(q, r) for q, r in zip(questions, rankings) if r.best and answers(r.best) and sure(q, r)]
    answerable = sum(q.answerable for q in questions)
    right = sum(q.expected == r.best for q, r in answered)
    rate = sum(q.answerable for q, _ in answered) / max(answerable, 1)
    return rate, (right / len(answered) if answered else 1.0)


def fit_on_reviewed(
    base: Thresholds, questions: Sequence[ReviewedQuestion], rank: Rank, escalates: IsEscalation,
    requests: IsRequest, target_conformity: float, blends: Sequence[float] = BLENDS,
    generic_questions: Sequence[tuple[str, str]] | None = None,
) -> ReviewedFit:
    """The blend and answer threshold answering most fitted questions at the target conformity, and
    the escalation thresholds lowered as far as they stay right and rarely hand over an answerable one."""
    fit = [q for q in questions if not q.held_out]
    held = [q for q in questions if q.held_out]
    answers = lambda label: not escalates(label) and label != NO_ANSWER_LABEL  # noqa: E731
    best: tuple[float, float, float, list[Ranking]] | None = None
    for blend in blends:
        rankings = rank([q.text for q in fit], [q.lang for q in fit], blend)
        threshold = _answer_threshold(fit, rankings, answers, target_conformity)
        rate, _ = _rates(fit, rankings, threshold, answers)
        if best is None or rate > best[0]:
            best = (rate, blend, threshold, rankings)
    assert best is not None
    _, blend, answer, rankings = best
    by_language: dict[str, float] = {}
    for lang in sorted({q.lang for q in fit if q.lang}):
        own = [i for i, q in enumerate(fit) if q.lang == lang]
        if sum(fit[i].answerable for i in own) >= MIN_ANSWERABLE_PER_LANGUAGE:
            by_language[lang] = _answer_threshold(
                [fit[i] for i in own], [rankings[i] for i in own], answers, target_conformity
            )
    # Lowered on the reviewed questions, but never so far that a generic question or a vague opening
    # ("I have a problem", knowledge/out_of_scope.yml) is handed over, as the self-calibration ensures.
    generic_questions = load_out_of_scope_examples() if generic_questions is None else generic_questions
    generic = [(lang, text) for lang, text in generic_questions if lang in {q.lang for q in fit}]
    generic_rankings = rank([text for _, text in generic], [lang for lang, _ in generic], blend) if generic else []
    sensitive = lambda label: escalates(label) and not requests(label)  # noqa: E731
    # A request for a person or a complaint names no article: read with less confidence than an answer
    # needs, it is a guess. Lowered to 0.005 on the sample help centre, a customer's garbled text
    # ('/EXTERNAL_no_agent{...}') was read as asking for a person; at half the answer threshold,
    # "maj coordonnées stp" (update my details) was.
    least_answer = min([answer, *by_language.values()])
    escalate_request = max(
        _escalation_threshold(fit, rankings, requests, base.escalate_request), _never_reached(generic_rankings, requests),
        least_answer if least_answer < NEVER else 0.0,
    )
    escalate_sensitive = max(
        _escalation_threshold(fit, rankings, sensitive, base.escalate_sensitive),
        _never_reached(generic_rankings, sensitive),
    )
    thresholds = replace(base, answer=answer, blend=blend, escalate_request=escalate_request,
                         escalate_sensitive=escalate_sensitive, answer_by_language=by_language)
    rate_fit, conformity_fit = _rates(fit, rankings, thresholds, answers)
    model = fit_answer_model(fit, rankings, answers, target_conformity)
    if model is not None and model.answer_rate > rate_fit:
        thresholds = replace(thresholds, answer_model=model.weights, answer_model_at=model.threshold)
        rate_fit, conformity_fit = model.answer_rate, model.conformity
    thresholds = replace(thresholds, sensitive_share=lowered_sensitive_share(
        fit, rankings, generic, generic_rankings, thresholds, Deciders(answers, escalates, requests),
        MAX_FALSE_ESCALATION, MIN_ESCALATION_SHARE,
    ))
    held_rankings = rank([q.text for q in held], [q.lang for q in held], blend) if held else []
    rate_held, conformity_held = _rates(held, held_rankings, thresholds, answers)
    return ReviewedFit(thresholds, len(fit), len(held), conformity_fit, conformity_held, rate_fit, rate_held)


@dataclass(frozen=True)
class AnswerModel:
    weights: list[float]  # Thresholds.answer_model
    threshold: float  # Thresholds.answer_model_at
    # On the questions it was fitted on, each scored by a model fitted without it.
    answer_rate: float
    conformity: float


def fit_answer_model(questions: Sequence[ReviewedQuestion], rankings: Sequence[Ranking], answers: Callable[[str], bool],
                     target_conformity: float, folds: int = ANSWER_MODEL_FOLDS) -> AnswerModel | None:
    """A logistic model of whether the best article is right, from the rankings' ANSWER_FEATURES, and the
    lowest probability at which its answers reach the target, both as on questions it did not see: the
    threshold is chosen on cross-fitted probabilities (fitted on the same questions, a model is sure of
    them). None with too few right or wrong answers to learn from."""
    rows = [i for i, r in enumerate(rankings) if r.best and answers(r.best) and r.features]
    right = np.array([questions[i].expected == rankings[i].best for i in rows], dtype=bool)
    if min(int(right.sum()), int((~right).sum())) < MIN_ANSWER_MODEL_EXAMPLES:
        return None
    features = np.array([rankings[i].features for i in rows], dtype=float)
    fold = np.arange(len(rows)) % folds
    probabilities = np.zeros(len(rows))
    fold_weights = []
    for k in range(folds):
        train = fold != k
        model = LogisticRegression(C=ANSWER_MODEL_C, max_iter=2000).fit(features[train], right[train])
        probabilities[~train] = model.predict_proba(features[~train])[:, 1]
        fold_weights.append([float(model.intercept_[0]), *(float(w) for w in model.coef_[0])])
    cross_fitted = list(rankings)
    for i, probability in zip(rows, probabilities):
        cross_fitted[i] = replace(rankings[i], confidence=float(probability))
    threshold = _answer_threshold(questions, cross_fitted, answers, target_conformity)
    if threshold >= NEVER:
        return None
    rate, conformity = _rates(questions, cross_fitted, threshold, answers)
    # The fold models' mean, not a model refitted on all: that one is surer than those whose
    # probabilities chose the threshold, and answers more than it was chosen for (banking77's fitted
    # part: 0.733 at 0.973 conformity, against the fold models' 0.731 at 0.974; the mean, 0.731 at 0.974).
    weights = [float(w) for w in np.mean(fold_weights, axis=0)]
    return AnswerModel(weights, threshold, rate, conformity)


def _out_of_scope_threshold(answered_confidences: Sequence[float], out_of_scope: int) -> float:
    """The lowest threshold answering at most MAX_OUT_OF_SCOPE_ANSWERED of the out-of-scope questions."""
    allowed = max(int(MAX_OUT_OF_SCOPE_ANSWERED * out_of_scope), 1)
    ranked = sorted(answered_confidences, reverse=True)
    return float(np.nextafter(ranked[allowed], np.inf)) if len(ranked) > allowed else 0.0


def _never_reached(rankings: Sequence[Ranking], kind: Callable[[str], bool]) -> float:
    """The least threshold at which none of these rankings escalates as this kind."""
    confidences = [r.confidence for r in rankings if r.best and kind(r.best)]
    return float(np.nextafter(max(confidences), np.inf)) if confidences else 0.0


def _escalation_threshold(questions: Sequence[ReviewedQuestion], rankings: Sequence[Ranking],
                          kind: Callable[[str], bool], current: float) -> float:
    """The lowest threshold (never above the self-calibrated one) at which this kind of escalation
    hands over at most MAX_FALSE_ESCALATION of the answerable questions."""
    answerable = sum(q.answerable for q in questions)
    false_confidences = sorted(
        (r.confidence for q, r in zip(questions, rankings) if q.answerable and r.best and kind(r.best)), reverse=True
    )
    allowed = int(MAX_FALSE_ESCALATION * answerable)
    if len(false_confidences) <= allowed:
        floor = 0.0
    else:
        floor = float(np.nextafter(false_confidences[allowed], np.inf))
    if current >= NEVER:  # this kind of escalation never happens on this base
        return current
    return min(current, max(floor, MIN_ESCALATION_SHARE * current))
