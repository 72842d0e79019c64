"""Read path, step three: decide per question to answer, decline or escalate, with a reason."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from bot.components.language_scorer import detect_language
from knowledge import replies
from knowledge.calibration import (
    FOLDS,
    HeldOut,
    Thresholds,
    load_out_of_scope_examples,
    passage_threshold,
    thresholds_from_held_out,
)
from knowledge.matching import PassageRetriever, Ranking, VariantClassifier, margin_ranking, probability_ranking
from knowledge.settings import KnowledgeSettings
from knowledge.snapshot import KnowledgeSnapshot
from knowledge.triggers import EscalationReason, TriggerExample, reason_of_label


class Outcome(str, Enum):
    ANSWER = "answer"
    ESCALATE = "escalate"
    DECLINE = "decline"


class DeclineReason(str, Enum):
    OUT_OF_SCOPE = "out_of_scope"  # nothing in the knowledge base is close
    LOW_CONFIDENCE = "low_confidence"  # something is close, not close enough to answer
    EMPTY_QUESTION = "empty_question"
    TOO_LONG = "too_long"
    EMPTY_KNOWLEDGE_BASE = "empty_knowledge_base"


@dataclass(frozen=True)
class Source:
    article: str
    title: str
    score: float


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    text: str
    lang: str
    article: str | None = None
    confidence: float | None = None
    reason: str | None = None
    sources: list[Source] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        """The machine-readable part of a bot reply."""
        return {
            "outcome": self.outcome.value,
            "article": self.article,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "reason": self.reason,
            "lang": self.lang,
            "sources": [{"article": s.article, "title": s.title, "score": round(s.score, 4)} for s in self.sources],
        }


# Passages train the classifier too: customers ask about details only the answer mentions.
TRAINING_KINDS = ("question", "title", "passage")


@dataclass(frozen=True)
class _Labelled:
    text: str
    vector: np.ndarray
    label: str
    kind: str  # "question", "title", "passage" or "trigger"


def _training_set(snapshot: KnowledgeSnapshot, triggers: Sequence[TriggerExample], trigger_vectors: np.ndarray) -> list[_Labelled]:
    with_variants = {a.id for a in snapshot.articles.values() if a.questions}
    rows = [
        _Labelled(text, vector, article_id, kind)
        for text, vector, article_id, kind in zip(
            snapshot.unit_text, snapshot.unit_vectors, snapshot.unit_article, snapshot.unit_kind
        )
        if article_id in with_variants and kind in TRAINING_KINDS
    ]
    rows += [_Labelled(t.text, v, t.label, "trigger") for t, v in zip(triggers, trigger_vectors)]
    return rows


def _classifier(rows: Sequence[_Labelled]) -> VariantClassifier | None:
    if len({r.label for r in rows}) < 2:
        return None
    return VariantClassifier([r.text for r in rows], np.stack([r.vector for r in rows]), [r.label for r in rows])


class KnowledgeEngine:
    """Everything the bot needs to decide, built from one snapshot of the index."""

    def __init__(
        self,
        snapshot: KnowledgeSnapshot,
        triggers: Sequence[TriggerExample],
        embeddings: Embeddings,
        settings: KnowledgeSettings,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.settings = settings
        self._embeddings = embeddings
        trigger_vectors = (
            np.asarray(embeddings.embed_documents([t.text for t in triggers]), dtype=np.float32)
            if triggers
            else np.zeros((0, snapshot.unit_vectors.shape[1] if snapshot.unit_vectors.size else 1), np.float32)
        )
        self._rows = _training_set(snapshot, triggers, trigger_vectors)
        self._classifier = _classifier(self._rows)
        self._passages = self._passage_retriever(snapshot)
        self.thresholds = thresholds or self.calibrate()

    @staticmethod
    def _passage_retriever(snapshot: KnowledgeSnapshot) -> PassageRetriever | None:
        documents = [a for a in snapshot.articles.values() if not a.questions]
        if not documents:
            return None
        wanted = {a.id for a in documents}
        passages = [i for i, (a, k) in enumerate(zip(snapshot.unit_article, snapshot.unit_kind)) if a in wanted and k == "passage"]
        return PassageRetriever(
            [(a.id, a.lang, a.body) for a in documents],
            snapshot.unit_vectors[passages],
            [snapshot.unit_article[i] for i in passages],
        )

    # -- matching ---------------------------------------------------------------------

    def _language_mask(self, labels: Sequence[str], lang: str) -> np.ndarray | None:
        """Only articles in the customer's language compete, when the base has any."""
        langs = [self.snapshot.articles[l].lang if l in self.snapshot.articles else None for l in labels]
        if lang not in langs:
            return None
        return np.array([l is None or l == lang for l in langs])

    def _escalation_reason(self, label: str) -> EscalationReason | None:
        reason = reason_of_label(label)
        if reason is not None:
            return reason
        article = self.snapshot.articles.get(label)
        return EscalationReason.SENSITIVE if article is not None and article.handoff else None

    def rank_variants(self, text: str, vector: np.ndarray, lang: str) -> Ranking:
        model = self._classifier
        if model is None:
            return Ranking([], [], 0.0)
        probabilities = model.probabilities([text], vector[None, :])[0]
        return probability_ranking(model.labels, probabilities, self._language_mask(model.labels, lang))

    def rank_passages(self, text: str, vector: np.ndarray, lang: str) -> Ranking:
        if self._passages is None:
            return Ranking([], [], 0.0)
        scores = self._passages.scores(text, vector, lang)
        return margin_ranking(self._passages.labels, scores, self._language_mask(self._passages.labels, lang))

    # -- calibration ------------------------------------------------------------------

    def _held_out(self, seed: int = 0) -> HeldOut:
        rng = np.random.default_rng(seed)
        rows = self._rows
        labels = np.array([r.label for r in rows])
        heldable = np.array([r.kind in ("question", "trigger") for r in rows])
        confidence: list[float] = []
        correct: list[bool] = []
        escalates: list[bool] = []
        requests: list[bool] = []
        in_scope: list[bool] = []
        generic: list[bool] = []

        def record(ranking: Ranking, truth: str | None, scope: bool, is_generic: bool = False) -> None:
            predicted = ranking.best or ""
            predicted_escalates = self._escalation_reason(predicted) is not None
            truth_escalates = truth is not None and self._escalation_reason(truth) is not None
            confidence.append(ranking.confidence)
            correct.append(predicted == truth or (predicted_escalates and truth_escalates))
            escalates.append(predicted_escalates)
            requests.append(reason_of_label(predicted) is not None)
            in_scope.append(scope)
            generic.append(is_generic)

        def score(train: np.ndarray, test: np.ndarray, scope: bool) -> None:
            model = _classifier([rows[i] for i in np.where(train)[0]])
            tested = [rows[i] for i in np.where(test)[0]]
            if model is None or not tested:
                return
            probabilities = model.probabilities([r.text for r in tested], np.stack([r.vector for r in tested]))
            for row, row_probabilities in zip(tested, probabilities):
                lang = self.snapshot.articles[row.label].lang if row.label in self.snapshot.articles else "en"
                ranking = probability_ranking(model.labels, row_probabilities, self._language_mask(model.labels, lang))
                record(ranking, row.label, scope)

        variant_fold = rng.integers(0, FOLDS, len(rows))
        for fold in range(FOLDS):
            test = heldable & (variant_fold == fold)
            score(~test, test, scope=True)
        article_ids = sorted({r.label for r in rows if r.kind != "trigger"})
        article_fold = dict(zip(article_ids, rng.integers(0, FOLDS, len(article_ids))))
        for fold in range(FOLDS):
            held = np.array([r.kind != "trigger" and article_fold[r.label] == fold for r in rows])
            score(~held, held & heldable, scope=False)
        generic_questions = load_out_of_scope_examples()
        if self._classifier is not None and generic_questions:
            vectors = self.embed([text for _, text in generic_questions])
            probabilities = self._classifier.probabilities([text for _, text in generic_questions], vectors)
            for (lang, _), row_probabilities in zip(generic_questions, probabilities):
                labels = self._classifier.labels
                record(probability_ranking(labels, row_probabilities, self._language_mask(labels, lang)), None, False, True)
        return HeldOut(
            np.array(confidence), np.array(correct, bool), np.array(escalates, bool), np.array(requests, bool),
            np.array(in_scope, bool), np.array(generic, bool),
        )

    def calibrate(self) -> Thresholds:
        answer = sensitive = request = passage = Thresholds().answer
        if self._classifier is not None:
            answer, sensitive, request = thresholds_from_held_out(
                self._held_out(), self.settings.target_conformity, self.settings.target_escalation_precision
            )
        if self._passages is not None:
            documents = [(a.id, a.lang, a.body) for a in self.snapshot.articles.values() if not a.questions]
            def rank(question: str, lang: str) -> tuple[str | None, float]:
                ranking = self.rank_passages(question, self.embed([question])[0], lang)
                return ranking.best, ranking.confidence

            passage = passage_threshold(documents, rank, self.settings.target_conformity)
        return Thresholds(answer=answer, escalate_sensitive=sensitive, escalate_request=request, passage_answer=passage)

    # -- deciding ---------------------------------------------------------------------

    def _sources(self, ranking: Ranking, top: int = 3) -> list[Source]:
        return [
            Source(label, self.snapshot.articles[label].title, score)
            for label, score in zip(ranking.labels, ranking.scores)
            if label in self.snapshot.articles
        ][:top]

    def language_of(self, question: str, hint: str | None = None, fallback: str | None = None) -> str:
        """The language given, else the one the question is written in, else the fallback."""
        return hint or detect_language(question) or fallback or self.settings.default_language

    def embed(self, questions: Sequence[str]) -> np.ndarray:
        return np.asarray(self._embeddings.embed_documents(list(questions)), dtype=np.float32)

    def decide(self, question: str, lang: str | None = None, vector: np.ndarray | None = None) -> Decision:
        text = question.strip()
        lang = self.language_of(text, lang)
        if not text:
            return Decision(Outcome.DECLINE, replies.empty_text(lang), lang, reason=DeclineReason.EMPTY_QUESTION.value)
        limit = self.settings.max_question_chars
        if len(text) > limit:
            return Decision(Outcome.DECLINE, replies.too_long_text(lang, limit), lang, reason=DeclineReason.TOO_LONG.value)
        if self.snapshot.is_empty:
            return Decision(Outcome.DECLINE, replies.decline_text(lang), lang, reason=DeclineReason.EMPTY_KNOWLEDGE_BASE.value)
        if vector is None:
            vector = self.embed([text])[0]

        variants = self.rank_variants(text, vector, lang)
        passages = self.rank_passages(text, vector, lang)
        t = self.thresholds
        for ranking, answer_at in ((variants, t.answer), (passages, t.passage_answer)):
            best = ranking.best
            if best is None:
                continue
            reason = self._escalation_reason(best)
            escalate_at = answer_at
            if ranking is variants:
                escalate_at = t.escalate_sensitive if reason is EscalationReason.SENSITIVE else t.escalate_request
            if reason is not None and ranking.confidence >= escalate_at:
                article = best if best in self.snapshot.articles else None
                return Decision(
                    Outcome.ESCALATE, replies.escalate_text(reason, lang), lang, article=article,
                    confidence=ranking.confidence, reason=reason.value, sources=self._sources(ranking),
                )
            if reason is None and ranking.confidence >= answer_at:
                article = self.snapshot.articles[best]
                return Decision(
                    Outcome.ANSWER, article.body, lang, article=best,
                    confidence=ranking.confidence, sources=self._sources(ranking),
                )
        best_ranking = variants if variants.best is not None else passages
        # The classifier's favourite is likely but has a close rival: a person could sort it out.
        close = best_ranking is variants and bool(variants.scores) and variants.scores[0] >= 0.5
        return Decision(
            Outcome.DECLINE, replies.decline_text(lang), lang,
            confidence=best_ranking.confidence if best_ranking.best else None,
            reason=(DeclineReason.LOW_CONFIDENCE if close else DeclineReason.OUT_OF_SCOPE).value,
            sources=self._sources(best_ranking),
        )
