"""What every baseline shares: its training texts, the held-out questions its threshold is
picked on, and the rule that turns (top article, confidence) into answer, escalate or decline.

Calibration split: for every article with question variants, 20 % of its variants (at
least one when it has two or more) are held out of the baseline's training and used only to
pick its threshold; the same for each escalation trigger's examples. Articles without
variants (plain documents) are calibrated on pseudo-questions cut from their own
sentences, as this project calibrates its passage path. The scored queries never take part.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.articles import Article
from knowledge.answering.calibration import NEVER, lowest_threshold, pseudo_questions
from knowledge.evaluation.evaluate import Query, ReportLine
from knowledge.answering.triggers import TriggerExample, reason_of_label
from knowledge.contract import EscalationReason

HELD_OUT_SHARE = 0.2
# Triggers are in no language in particular: they compete whatever the customer writes in.
ANY_LANGUAGE = "*"


@dataclass(frozen=True)
class Labelled:
    """A text a baseline learns from or is calibrated on, with the label it stands for."""

    text: str
    label: str  # an article id, or a trigger label such as "@complaint"
    lang: str
    kind: str  # "title", "question", "trigger" or "pseudo"


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    lang: str | None


@dataclass(frozen=True)
class Prediction:
    """A baseline's top label for a question and its confidence in it (None: nothing matched)."""

    id: str
    label: str | None
    confidence: float
    latency_ms: float


@dataclass(frozen=True)
class Corpus:
    """The knowledge base as a baseline sees it: the articles, and the labelled texts to fit on."""

    articles: dict[str, Article]
    training: list[Labelled]

    @property
    def languages(self) -> set[str]:
        return {a.lang for a in self.articles.values()}

    def escalation(self, label: str | None) -> EscalationReason | None:
        """Same rule as the project's: a trigger label, or a `handoff: true` article."""
        if label is None:
            return None
        reason = reason_of_label(label)
        if reason is not None:
            return reason
        article = self.articles.get(label)
        return EscalationReason.SENSITIVE if article is not None and article.handoff else None


@dataclass(frozen=True)
class Split:
    full: Corpus  # every variant: what a baseline is finally fit on
    fit: Corpus  # without the held-out variants: what a baseline is calibrated with
    held_out: list[Labelled]


def labelled_texts(article: Article, questions: Sequence[str]) -> list[Labelled]:
    return [Labelled(article.title, article.id, article.lang, "title")] + [
        Labelled(q, article.id, article.lang, "question") for q in questions
    ]


def _held_out_count(n: int) -> int:
    return 0 if n < 2 else max(1, int(round(n * HELD_OUT_SHARE)))


def split_corpus(articles: Sequence[Article], triggers: Sequence[TriggerExample], seed: int = 0) -> Split:
    rng = np.random.default_rng(seed)
    by_id = {a.id: a for a in articles}
    full: list[Labelled] = []
    fit: list[Labelled] = []
    held: list[Labelled] = []
    for article in articles:
        questions = list(article.questions)
        full += labelled_texts(article, questions)
        if not questions:
            fit += labelled_texts(article, [])
            held += [Labelled(q, article.id, article.lang, "pseudo") for q in pseudo_questions(article.body, rng)]
            continue
        out = set(rng.choice(len(questions), size=_held_out_count(len(questions)), replace=False).tolist())
        fit += labelled_texts(article, [q for i, q in enumerate(questions) if i not in out])
        held += [Labelled(q, article.id, article.lang, "question") for i, q in enumerate(questions) if i in out]
    by_label: dict[str, list[str]] = {}
    for trigger in triggers:
        by_label.setdefault(trigger.label, []).append(trigger.text)
    for label, texts in by_label.items():
        full += [Labelled(t, label, ANY_LANGUAGE, "trigger") for t in texts]
        out = set(rng.choice(len(texts), size=_held_out_count(len(texts)), replace=False).tolist())
        fit += [Labelled(t, label, ANY_LANGUAGE, "trigger") for i, t in enumerate(texts) if i not in out]
        held += [Labelled(t, label, ANY_LANGUAGE, "trigger") for i, t in enumerate(texts) if i in out]
    return Split(Corpus(by_id, full), Corpus(by_id, fit), held)


def held_out_questions(held_out: Sequence[Labelled]) -> list[Question]:
    return [
        Question(f"held-{i}", item.text, None if item.lang == ANY_LANGUAGE else item.lang)
        for i, item in enumerate(held_out)
    ]


def queries_as_questions(queries: Sequence[Query]) -> list[Question]:
    return [Question(q["id"], q["text"], q.get("lang")) for q in queries]


def allowed_languages(corpus: Corpus, lang: str | None) -> set[str] | None:
    """Only labels in the customer's language (and triggers) compete, as in the project's
    decision code; None when the base has nothing in that language (everything competes)."""
    if lang is None or lang not in corpus.languages:
        return None
    return {lang, ANY_LANGUAGE}


def label_language(corpus: Corpus, label: str) -> str:
    article = corpus.articles.get(label)
    return article.lang if article is not None else ANY_LANGUAGE


def pick_threshold(
    corpus: Corpus, held_out: Sequence[Labelled], predictions: Sequence[Prediction], target: float
) -> float:
    """Lowest confidence at which the held-out answers reach `target` conformity.

    Only predictions that would be answers count (an escalating label is escalated, not
    answered), as in the project's calibration; a prediction is right when it names the
    held-out text's own label, or when both escalate.
    """
    confidence, good = held_out_outcomes(corpus, held_out, predictions)
    return lowest_threshold(confidence, good, (~good).astype(float), target)


def held_out_outcomes(
    corpus: Corpus, held_out: Sequence[Labelled], predictions: Sequence[Prediction]
) -> tuple[np.ndarray, np.ndarray]:
    """(confidence, right) of the held-out predictions that would be answers."""
    confidence: list[float] = []
    good: list[bool] = []
    for item, prediction in zip(held_out, predictions, strict=True):
        if prediction.label is None or corpus.escalation(prediction.label) is not None:
            continue
        confidence.append(prediction.confidence)
        good.append(prediction.label == item.label)
    return np.array(confidence, dtype=float), np.array(good, dtype=bool)


def decide(corpus: Corpus, prediction: Prediction, threshold: float) -> ReportLine:
    """Answer from the top article, or escalate if it escalates, when confident enough."""
    reason = corpus.escalation(prediction.label)
    if prediction.label is None or prediction.confidence < threshold:
        outcome, article, why = "decline", None, "low_confidence"
    elif reason is not None:
        outcome, article, why = "escalate", prediction.label if prediction.label in corpus.articles else None, reason.value
    else:
        outcome, article, why = "answer", prediction.label, None
    return {
        "id": prediction.id,
        "outcome": outcome,
        "article": article,
        "reason": why,
        "confidence": round(prediction.confidence, 4),
        "latency_ms": round(prediction.latency_ms, 2),
    }


def threshold_grid(confidences: Sequence[float], points: int = 60) -> list[float]:
    """Thresholds spanning the confidences seen, for the answer rate / conformity curve."""
    values = np.array([c for c in confidences if np.isfinite(c)], dtype=float)
    if values.size == 0:
        return []
    grid = np.unique(np.quantile(values, np.linspace(0.0, 1.0, points)))
    return [float(v) for v in grid] + [NEVER]
