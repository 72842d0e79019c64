"""Read path, step three: decide per question to answer, decline or escalate, with a reason."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge import wording as replies
from knowledge.answering.calibration import Thresholds
from knowledge.answering.fitting import fit_thresholds
from knowledge.answering.matching import PassageRetriever, Ranking, margin_ranking
from knowledge.answering.triggers import TriggerExample
from knowledge.answering.variants import VariantModel, language_mask, training_rows, trigger_vectors
from knowledge.contract import Decision, DeclineReason, EscalationReason, Outcome, Source
from knowledge.index.snapshot import KnowledgeSnapshot
from knowledge.language import detect_language
from knowledge.settings import KnowledgeSettings

# Score (probability) two articles must together reach for an unsure decline to be "low
# confidence" (about one of them) rather than "out of scope".
LIKELY = 0.5


def passage_retriever(snapshot: KnowledgeSnapshot) -> PassageRetriever | None:
    """The retriever over the articles without question variants (plain documents), if any."""
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
        dimension = snapshot.unit_vectors.shape[1] if snapshot.unit_vectors.size else 1
        self.variants = VariantModel(snapshot, training_rows(snapshot, triggers, trigger_vectors(embeddings, triggers, dimension)))
        self._passages = passage_retriever(snapshot)
        self.thresholds = thresholds or self.calibrate()

    def calibrate(self) -> Thresholds:
        """Thresholds fitted on this snapshot's own articles (minutes on a large base)."""
        rank_passages = self.rank_passages if self._passages is not None else None
        return fit_thresholds(self.variants, self.embed, rank_passages, self.settings)

    # -- ranking ----------------------------------------------------------------------

    def rank_variants(self, text: str, vector: np.ndarray, lang: str) -> Ranking:
        return self.variants.rank(text, vector, lang, self.thresholds.blend)[0]

    def rank_passages(self, text: str, vector: np.ndarray, lang: str) -> Ranking:
        if self._passages is None:
            return Ranking([], [], 0.0)
        scores = self._passages.scores(text, vector, lang)
        labels = self._passages.labels
        return margin_ranking(labels, scores, language_mask(self.snapshot.articles, labels, lang))

    def language_of(self, question: str, hint: str | None = None, fallback: str | None = None) -> str:
        """The language given, else the one the question is written in, else the fallback."""
        return hint or detect_language(question) or fallback or self.settings.default_language

    def embed(self, questions: Sequence[str]) -> np.ndarray:
        return np.asarray(self._embeddings.embed_documents(list(questions)), dtype=np.float32)

    # -- deciding ---------------------------------------------------------------------

    def _sources(self, ranking: Ranking, top: int = 3) -> list[Source]:
        return [
            Source(label, self.snapshot.articles[label].title, score)
            for label, score in zip(ranking.labels, ranking.scores)
            if label in self.snapshot.articles
        ][:top]

    def _escalate_leaning(self, label: str, share: float, ranking: Ranking, lang: str) -> Decision:
        reason = self.variants.escalation_reason(label)
        assert reason is not None
        return Decision(
            Outcome.ESCALATE, replies.escalate_text(reason, lang), lang,
            article=label if label in self.snapshot.articles else None,
            confidence=share, reason=reason.value, sources=self._sources(ranking),
        )

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

        t = self.thresholds
        variants, variant_scores, allowed = self.variants.rank(text, vector, lang, t.blend)
        passages = self.rank_passages(text, vector, lang)
        for ranking, answer_at in ((variants, t.answer), (passages, t.passage_answer)):
            best = ranking.best
            if best is None:
                continue
            if ranking is passages:
                # Unsure among the variant articles, but the likely ones are sensitive: an advisor takes it.
                leaning = self.variants.leaning(variant_scores, allowed, t.sensitive_share)
                if leaning is not None:
                    return self._escalate_leaning(*leaning, variants, lang)
            reason = self.variants.escalation_reason(best)
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
        leaning = self.variants.leaning(variant_scores, allowed, t.sensitive_share)
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
