"""Read path, step three: decide per question to answer, decline or escalate, with a reason."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge.language import detect_language
from knowledge import wording as replies
from knowledge.answering.calibration import (
    BLENDS,
    FOLDS,
    HeldOut,
    Thresholds,
    handled_share,
    load_out_of_scope_examples,
    passage_threshold,
    sensitive_share_threshold,
    thresholds_from_held_out,
)
from knowledge.answering.matching import (
    MAX_KERNEL_ROWS,
    KernelClassifier,
    PassageRetriever,
    Ranking,
    VariantClassifier,
    blended_ranking,
    blended_scores,
    label_share,
    margin_ranking,
)
from knowledge.settings import KnowledgeSettings
from knowledge.index.snapshot import KnowledgeSnapshot
from knowledge.answering.triggers import TriggerExample, reason_of_label
from knowledge.contract import Decision, DeclineReason, EscalationReason, Outcome, Source


# Score (probability) two articles must together reach for an unsure decline to be "low
# confidence" (about one of them) rather than "out of scope".
LIKELY = 0.5

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


# (id of the embeddings, texts) -> (the embeddings, kept alive so that the id stays theirs; vectors)
_EMBEDDED: dict[tuple[int, tuple[str, ...]], tuple[Embeddings, np.ndarray]] = {}


def _embedded(embeddings: Embeddings, texts: tuple[str, ...]) -> np.ndarray:
    """The trigger examples are the same at every rebuild of the engine: embedded once per process."""
    key = (id(embeddings), texts)
    if key not in _EMBEDDED:
        vectors = np.asarray(embeddings.embed_documents(list(texts)), dtype=np.float32)
        vectors.setflags(write=False)
        if len(_EMBEDDED) >= 8:
            _EMBEDDED.clear()
        _EMBEDDED[key] = (embeddings, vectors)
    return _EMBEDDED[key][1]


def _classifier(rows: Sequence[_Labelled]) -> VariantClassifier | None:
    if len({r.label for r in rows}) < 2:
        return None
    return VariantClassifier([r.text for r in rows], np.stack([r.vector for r in rows]), [r.label for r in rows])


def _kernel_classifier(rows: Sequence[_Labelled]) -> KernelClassifier | None:
    if len({r.label for r in rows}) < 2 or len(rows) > MAX_KERNEL_ROWS:
        return None
    return KernelClassifier([r.text for r in rows], np.stack([r.vector for r in rows]), [r.label for r in rows])


@dataclass(frozen=True)
class _HeldOutScores:
    """One held-out question: both classifiers' scores over all labels, from models that never saw it."""
    probabilities: np.ndarray  # linear classifier, zeros for labels its training lacked
    kernel_scores: np.ndarray
    allowed: np.ndarray  # labels that compete: the question's language, its own article absent if held out
    truth: str | None  # None for the generic out-of-scope questions
    in_scope: bool  # its article is in the training


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
            _embedded(embeddings, tuple(t.text for t in triggers))
            if triggers
            else np.zeros((0, snapshot.unit_vectors.shape[1] if snapshot.unit_vectors.size else 1), np.float32)
        )
        self._rows = _training_set(snapshot, triggers, trigger_vectors)
        self._kernel = _kernel_classifier(self._rows)
        self._linear: VariantClassifier | None = None
        self._linear_fitted = False
        self._passages = self._passage_retriever(snapshot)
        labels = self._variant_labels()
        self._sensitive = np.array([self._escalation_reason(l) is EscalationReason.SENSITIVE for l in labels], bool)
        self.thresholds = thresholds or self.calibrate()

    @staticmethod
    def _passage_retriever(snapshot: KnowledgeSnapshot) -> PassageRetriever | None:
        documents = [a for a in snapshot.articles.values() if not a.questions]
        if not documents:
            return None
        wanted = {a.id for a in documents}
        passages = [i for i, (a, k) in enumerate(zip(snapshot.unit_article, snapshot.unit_kind)) if a in wanted and k == "passage"]
        return PassageRetriever(
            [(a.id, a.lang, f"{a.title}\n\n{a.body}") for a in documents],
            snapshot.unit_vectors[passages],
            [snapshot.unit_article[i] for i in passages],
        )

    # -- matching ---------------------------------------------------------------------

    def _linear_classifier(self) -> VariantClassifier | None:
        """Fitted on first use: with a saved calibration that gives it no weight, never."""
        if not self._linear_fitted:
            self._linear = _classifier(self._rows)
            self._linear_fitted = True
        return self._linear

    def _variant_labels(self) -> list[str]:
        model = self._kernel or self._linear_classifier()
        return model.labels if model is not None else []

    def _variant_scores(self, texts: Sequence[str], vectors: np.ndarray, blend: float) -> np.ndarray:
        """(questions, labels of `_variant_labels`) blended scores."""
        kernel = self._kernel
        if kernel is None:
            blend = 1.0
        linear = self._linear_classifier() if blend > 0 else None
        kernel_scores = kernel.scores(texts, vectors) if kernel is not None and blend < 1 else None
        probabilities = linear.probabilities(texts, vectors) if linear is not None else None
        if probabilities is None:
            return kernel_scores if kernel_scores is not None else np.zeros((len(texts), 0))
        if kernel_scores is None:
            return probabilities
        return blended_scores(probabilities, kernel_scores, blend)

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

    def _rank_variants(self, text: str, vector: np.ndarray, lang: str) -> tuple[Ranking, np.ndarray, np.ndarray | None]:
        """The ranking, with the blended scores and language mask it came from."""
        labels = self._variant_labels()
        if not labels:
            return Ranking([], [], 0.0), np.zeros(0), None
        scores = self._variant_scores([text], vector[None, :], self.thresholds.blend)[0]
        allowed = self._language_mask(labels, lang)
        return blended_ranking(labels, scores, allowed), scores, allowed

    def rank_variants(self, text: str, vector: np.ndarray, lang: str) -> Ranking:
        return self._rank_variants(text, vector, lang)[0]

    def _leaning(self, scores: np.ndarray, allowed: np.ndarray | None) -> tuple[str, float] | None:
        """When the scores lean enough towards sensitive articles, the likeliest of them and the share."""
        candidates = self._sensitive if allowed is None else self._sensitive & allowed
        if not scores.size or not candidates.any():
            return None
        share = label_share(self._variant_labels(), scores, allowed, self._sensitive)
        if share < self.thresholds.sensitive_share:
            return None
        return self._variant_labels()[int(np.argmax(np.where(candidates, scores, -np.inf)))], share

    def rank_passages(self, text: str, vector: np.ndarray, lang: str) -> Ranking:
        if self._passages is None:
            return Ranking([], [], 0.0)
        scores = self._passages.scores(text, vector, lang)
        return margin_ranking(self._passages.labels, scores, self._language_mask(self._passages.labels, lang))

    # -- calibration ------------------------------------------------------------------

    def _allowed(self, labels: Sequence[str], lang: str) -> np.ndarray:
        mask = self._language_mask(labels, lang)
        return np.ones(len(labels), bool) if mask is None else mask

    def _held_out_scores(self, seed: int = 0) -> list[_HeldOutScores]:
        """Scores of held-out variants (in scope) and of whole held-out articles' variants (out of
        scope), FOLDS-fold: each fold leaves out a quarter of the articles and a quarter of the
        other articles' variants; plus the generic out-of-scope questions on the full models."""
        rows = self._rows
        labels = self._variant_labels()
        position = {label: i for i, label in enumerate(labels)}
        rng = np.random.default_rng(seed)
        heldable = np.array([r.kind in ("question", "trigger") for r in rows])
        variant_fold = rng.integers(0, FOLDS, len(rows))
        article_ids = sorted({r.label for r in rows if r.kind != "trigger"})
        article_fold = dict(zip(article_ids, rng.integers(0, FOLDS, len(article_ids))))
        folds = []
        for fold in range(FOLDS):
            left_articles = np.array([r.kind != "trigger" and article_fold[r.label] == fold for r in rows])
            left_variants = heldable & (variant_fold == fold) & ~left_articles
            folds.append((left_articles, left_variants, np.where(left_articles | left_variants)[0]))
        # The kernel classifier's scores come in closed form, so a held-out article's questions
        # are scored against all the other articles (as a real unanswerable question is), the
        # linear classifier's against those of its fold.
        grouped: dict[str, list[int]] = {label: [] for label in article_ids}
        for i, row in enumerate(rows):
            if row.kind != "trigger":
                grouped[row.label].append(i)
        article_rows = {label: np.array(indices) for label, indices in grouped.items()}
        kernel_held = (
            self._kernel.held_out_scores([left for _, _, left in folds] + list(article_rows.values()))
            if self._kernel is not None else None
        )
        by_article = dict(zip(article_rows, kernel_held[FOLDS:])) if kernel_held is not None else {}
        held: list[_HeldOutScores] = []
        for fold, (left_articles, left_variants, left) in enumerate(folds):
            tested = np.where(left_variants | (left_articles & heldable))[0]
            if not tested.size:
                continue
            kept = [rows[i] for i in range(len(rows)) if not (left_articles[i] or left_variants[i])]
            linear = _classifier(kept)
            probabilities = np.zeros((len(tested), len(labels)))
            if linear is not None:
                raw = linear.probabilities([rows[i].text for i in tested], np.stack([rows[i].vector for i in tested]))
                probabilities[:, [position[label] for label in linear.labels]] = raw
            kernel_scores = np.zeros((len(tested), len(labels)))
            if kernel_held is not None:
                where = {row: k for k, row in enumerate(left)}
                for k, i in enumerate(tested):
                    if left_articles[i]:
                        own = article_rows[rows[i].label]
                        kernel_scores[k] = by_article[rows[i].label][int(np.searchsorted(own, i))]
                    else:
                        kernel_scores[k] = kernel_held[fold][where[i]]
            for k, i in enumerate(tested):
                row = rows[i]
                allowed = self._allowed(labels, self._lang_of_label(row.label))
                if left_articles[i]:
                    allowed[position[row.label]] = False
                held.append(_HeldOutScores(probabilities[k], kernel_scores[k], allowed, row.label, bool(left_variants[i])))
        # Only in the languages the base answers in: elsewhere every label competes, and a
        # French question to an English base finds the bilingual trigger examples closest.
        languages = {a.lang for a in self.snapshot.articles.values()}
        generic_questions = [(lang, text) for lang, text in load_out_of_scope_examples() if lang in languages]
        if generic_questions:
            texts = [text for _, text in generic_questions]
            vectors = self.embed(texts)
            linear = self._linear_classifier()
            probabilities = linear.probabilities(texts, vectors) if linear is not None else np.zeros((len(texts), len(labels)))
            kernel_scores = self._kernel.scores(texts, vectors) if self._kernel is not None else np.zeros_like(probabilities)
            for (lang, _), p, k in zip(generic_questions, probabilities, kernel_scores):
                held.append(_HeldOutScores(p, k, self._allowed(labels, lang), None, False))
        return held

    def _lang_of_label(self, label: str) -> str:
        article = self.snapshot.articles.get(label)
        return article.lang if article is not None else self.settings.default_language

    def _held_out(self, scores: Sequence[_HeldOutScores], blend: float) -> HeldOut:
        labels = self._variant_labels()
        columns: dict[str, list[Any]] = {
            name: [] for name in ("confidence", "correct", "escalates", "requests", "share", "sensitive")
        }
        for item in scores:
            blended = blended_scores(item.probabilities, item.kernel_scores, blend)
            ranking = blended_ranking(labels, blended, item.allowed)
            predicted = ranking.best or ""
            predicted_escalates = self._escalation_reason(predicted) is not None
            truth_escalates = item.truth is not None and self._escalation_reason(item.truth) is not None
            columns["confidence"].append(ranking.confidence)
            columns["correct"].append(predicted == item.truth or (predicted_escalates and truth_escalates))
            columns["escalates"].append(predicted_escalates)
            columns["requests"].append(reason_of_label(predicted) is not None)
            columns["share"].append(label_share(labels, blended, item.allowed, self._sensitive))
            columns["sensitive"].append(
                item.truth is not None and self._escalation_reason(item.truth) is EscalationReason.SENSITIVE
            )
        return HeldOut(
            np.array(columns["confidence"], float), np.array(columns["correct"], bool),
            np.array(columns["escalates"], bool), np.array(columns["requests"], bool),
            np.array([item.in_scope for item in scores], bool), np.array([item.truth is None for item in scores], bool),
            np.array(columns["share"], float), np.array(columns["sensitive"], bool),
        )

    def _calibrate_variants(self) -> Thresholds:
        """The blend answering or escalating most held-out variants at the targets, and its thresholds."""
        scores = self._held_out_scores()
        blends = BLENDS if self._kernel is not None else (1.0,)
        best: tuple[float, float, HeldOut, tuple[float, float, float]] | None = None
        for blend in blends:
            held = self._held_out(scores, blend)
            found = thresholds_from_held_out(held, self.settings.target_conformity, self.settings.target_escalation_precision)
            share = handled_share(held, *found)
            if best is None or share > best[0]:
                best = (share, blend, held, found)
        assert best is not None
        _, blend, held, (answer, sensitive, request) = best
        return Thresholds(
            answer=answer, escalate_sensitive=sensitive, escalate_request=request, blend=blend,
            sensitive_share=sensitive_share_threshold(
                held, answer, sensitive, request, self.settings.target_escalation_precision
            ),
        )

    def calibrate(self) -> Thresholds:
        variants = Thresholds()
        if self._variant_labels():
            variants = self._calibrate_variants()
        passage = Thresholds().passage_answer
        if self._passages is not None:
            documents = [(a.id, a.lang, a.body) for a in self.snapshot.articles.values() if not a.questions]
            def rank(questions: list[str], langs: list[str]) -> list[tuple[str | None, float]]:
                rankings = [self.rank_passages(q, v, lang) for q, v, lang in zip(questions, self.embed(questions), langs)]
                return [(ranking.best, ranking.confidence) for ranking in rankings]

            passage = passage_threshold(documents, rank, self.settings.target_conformity)
        return Thresholds(
            answer=variants.answer, escalate_sensitive=variants.escalate_sensitive,
            escalate_request=variants.escalate_request, passage_answer=passage, blend=variants.blend,
            sensitive_share=variants.sensitive_share,
        )

    # -- deciding ---------------------------------------------------------------------

    def _sources(self, ranking: Ranking, top: int = 3) -> list[Source]:
        return [
            Source(label, self.snapshot.articles[label].title, score)
            for label, score in zip(ranking.labels, ranking.scores)
            if label in self.snapshot.articles
        ][:top]

    def _escalate_leaning(self, label: str, share: float, ranking: Ranking, lang: str) -> Decision:
        reason = self._escalation_reason(label)
        assert reason is not None
        return Decision(
            Outcome.ESCALATE, replies.escalate_text(reason, lang), lang,
            article=label if label in self.snapshot.articles else None,
            confidence=share, reason=reason.value, sources=self._sources(ranking),
        )

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

        variants, variant_scores, allowed = self._rank_variants(text, vector, lang)
        passages = self.rank_passages(text, vector, lang)
        t = self.thresholds
        for ranking, answer_at in ((variants, t.answer), (passages, t.passage_answer)):
            best = ranking.best
            if best is None:
                continue
            if ranking is passages:
                # Unsure among the variant articles, but the likely ones are sensitive: an advisor takes it.
                leaning = self._leaning(variant_scores, allowed)
                if leaning is not None:
                    return self._escalate_leaning(*leaning, variants, lang)
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
        leaning = self._leaning(variant_scores, allowed)
        if leaning is not None:
            return self._escalate_leaning(*leaning, variants, lang)
        best_ranking = variants if variants.best is not None else passages
        # The question is most likely about one of the classifier's two favourites, too close
        # to tell apart: a person could sort it out.
        close = best_ranking is variants and sum(variants.scores[:2]) >= LIKELY
        return Decision(
            Outcome.DECLINE, replies.decline_text(lang), lang,
            confidence=best_ranking.confidence if best_ranking.best else None,
            reason=(DeclineReason.LOW_CONFIDENCE if close else DeclineReason.OUT_OF_SCOPE).value,
            sources=self._sources(best_ranking),
        )
