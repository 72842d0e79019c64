"""Thresholds derived from the knowledge base itself, never hand-tuned per site.

The variant classifier is cross-validated on the articles' own question variants: held-out
variants say how often an answer at a given confidence is right, and variants of whole
held-out articles stand for questions the knowledge base cannot answer. The passage path
is calibrated the same way on pseudo-questions cut from the articles' own sentences.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import yaml

OUT_OF_SCOPE = Path(__file__).parent / "out_of_scope.yml"
FOLDS = 4
# Part of the key thresholds are stored under: bump it whenever the way they are computed changes.
CALIBRATION_METHOD = "6"
# Prior share of customer questions that no article answers; weighs the held-out-article
# negatives against the held-out variants when computing precision.
OUT_OF_SCOPE_SHARE = 0.05
NEVER = 1e9


@dataclass(frozen=True)
class Thresholds:
    answer: float = NEVER
    escalate_sensitive: float = NEVER  # the best match is a handoff: true article
    escalate_request: float = NEVER  # the best match is asking for a person or complaining
    passage_answer: float = NEVER

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Thresholds:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class HeldOut:
    confidence: np.ndarray
    correct: np.ndarray  # predicted label is the true one (or both escalate)
    predicted_escalates: np.ndarray
    predicted_request: np.ndarray  # escalates as a request for a person or a complaint
    in_scope: np.ndarray  # False for variants of held-out articles and generic questions
    generic: np.ndarray  # True for the generic out-of-scope questions (escalation only)


def lowest_threshold(
    confidence: np.ndarray, good: np.ndarray, bad_weight: np.ndarray, target: float
) -> float:
    """Lowest threshold whose weighted precision over items at or above it reaches target."""
    if confidence.size == 0:
        return NEVER
    order = np.argsort(-confidence)
    good_sum = np.cumsum(good[order].astype(float))
    bad_sum = np.cumsum(bad_weight[order])
    precision = good_sum / np.maximum(good_sum + bad_sum, 1e-9)
    # Walk from the most confident down; keep the deepest cut that still meets the target,
    # and never cut inside a run of equal confidences.
    sorted_conf = confidence[order]
    best = NEVER
    for i in range(len(order)):
        if i + 1 < len(order) and sorted_conf[i + 1] == sorted_conf[i]:
            continue
        if precision[i] >= target:
            best = float(sorted_conf[i])
    return best


def thresholds_from_held_out(held: HeldOut, target_answer: float, target_escalate: float) -> tuple[float, float, float]:
    """(answer, escalate_sensitive, escalate_request) thresholds."""
    n_pos = max(int(held.in_scope.sum()), 1)
    n_neg = max(int((~held.in_scope & ~held.generic).sum()), 1)
    neg_weight = OUT_OF_SCOPE_SHARE / (1 - OUT_OF_SCOPE_SHARE) * n_pos / n_neg
    weight = np.where(held.in_scope, 1.0, neg_weight)
    bad = np.where(held.correct, 0.0, weight)

    def threshold(rows: np.ndarray, bad_weight: np.ndarray, target: float) -> float:
        return lowest_threshold(held.confidence[rows], held.correct[rows], bad_weight[rows], target)

    good_answer = held.correct & held.in_scope
    answers = ~held.predicted_escalates & ~held.generic
    answer = lowest_threshold(
        held.confidence[answers], good_answer[answers], np.where(good_answer, 0.0, weight)[answers], target_answer
    )
    sensitive = held.predicted_escalates & ~held.predicted_request & ~held.generic
    # A generic question handed to an advisor as a complaint is a visible failure: each
    # counts fully, not at the out-of-scope prior. (Small talk is told apart by Rasa's NLU.)
    requests = held.predicted_request
    escalate_request = threshold(requests, np.where(held.generic, 1.0, bad), target_escalate)
    return answer, threshold(sensitive, bad, target_escalate), escalate_request


def load_out_of_scope_examples(path: Path = OUT_OF_SCOPE) -> list[tuple[str, str]]:
    """(lang, question) pairs that no help centre answers."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [(lang, str(text)) for lang, texts in document.items() for text in texts or []]


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


# A question shares only some of its words with the sentence that answers it.
PSEUDO_QUESTION_KEEP = 0.35


def pseudo_questions(body: str, rng: np.random.Generator, per_article: int = 2) -> list[str]:
    """Sentences of the article with most of their words dropped, as a stand-in for questions."""
    sentences = [s for s in _SENTENCE.split(body) if len(s.split()) >= 6]
    if not sentences:
        return []
    picked = rng.choice(len(sentences), size=min(per_article, len(sentences)), replace=False)
    questions = []
    for index in picked:
        words = sentences[index].split()
        keep = rng.random(len(words)) < PSEUDO_QUESTION_KEEP
        questions.append(" ".join(w for w, k in zip(words, keep) if k) or sentences[index])
    return questions


def passage_threshold(
    articles: Sequence[tuple[str, str, str]],
    rank: Callable[[str, str], tuple[str | None, float]],
    target: float,
    seed: int = 0,
) -> float:
    """articles: (id, lang, body); rank(question, lang) -> (best article id, confidence)."""
    rng = np.random.default_rng(seed)
    confidences: list[float] = []
    correct: list[bool] = []
    for article_id, lang, body in articles:
        for question in pseudo_questions(body, rng):
            best, confidence = rank(question, lang)
            confidences.append(confidence)
            correct.append(best == article_id)
    conf = np.array(confidences)
    good = np.array(correct, dtype=bool)
    return lowest_threshold(conf, good, (~good).astype(float), target)
