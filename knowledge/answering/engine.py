"""Read path, step three: decide per question to answer, decline or escalate, with a reason."""
from __future__ import annotations

import logging
from dataclasses import replace
from collections.abc import Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge import wording as replies
from knowledge.answering.calibration import Thresholds
from knowledge.answering.fitting import fit_thresholds
from knowledge.answering.confidence.answer_model import answer_features
from knowledge.answering.matching import (
    Ranking,
    blended_ranking,
    label_share,
    margin_ranking,
    probability_ranking,
    with_passage_evidence,
)
from knowledge.answering.passages.retrieval import PassageRetriever, fit_fusion_weights
from knowledge.answering.reviewed import (
    MIN_ANSWERABLE,
    ReviewedFit,
    fit_on_reviewed,
    load_reviewed,
    passage_answer_threshold,
    training_label,
)
from knowledge.answering.triggers import NO_ANSWER_LABEL, TriggerExample, reason_of_label
from knowledge.answering.variants import (
    FittedWeights,
    TrainingRow,
    VariantModel,
    language_mask,
    linear_classifier,
    training_rows,
    trigger_vectors,
)
from knowledge.embeddings import embed_questions, similarity_floor
from knowledge.contract import Decision, DeclineReason, EscalationReason, Outcome, Source
from knowledge.index.snapshot import KnowledgeSnapshot
from knowledge.language import detect_language
from knowledge.settings import KnowledgeSettings

logger = logging.getLogger(__name__)

# Score (probability) two articles must together reach for an unsure decline to be "low
# confidence" (about one of them) rather than "out of scope".
LIKELY = 0.5
# Folds the fitted reviewed questions are cross-fitted in (each scored by models without it).
REVIEWED_FOLDS = 4


def passage_retriever(snapshot: KnowledgeSnapshot, with_variants: bool = False) -> PassageRetriever | None:
    """The retriever over the articles without question variants (plain documents), if any; or
    over those with variants, whose text is evidence next to the classifiers'."""
    documents = [a for a in snapshot.articles.values() if bool(a.questions) == with_variants]
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
        fits: FittedWeights | None = None,
    ) -> None:
        """`fits`: where the linear classifier on all rows is found if another process fitted it (service.py)."""
        self.snapshot = snapshot
        self._fits = fits
        self.settings = settings
        self._embeddings = embeddings
        dimension = snapshot.unit_vectors.shape[1] if snapshot.unit_vectors.size else 1
        self.reviewed = load_reviewed(settings.reviewed_questions_path, set(snapshot.articles))
        self._base_rows = training_rows(
            snapshot, triggers, trigger_vectors(embeddings, triggers, dimension), similarity_floor(embeddings)
        )
        self._reviewed_rows: dict[int, int] = {}  # reviewed question -> its training row, to cross-fit
        rows = self._base_rows + self._reviewed_training_rows(self._base_rows, first_row=len(self._base_rows))
        if thresholds is not None and not thresholds.trained_on_reviewed:
            rows, self._reviewed_rows = self._base_rows, {}
        self._passages = passage_retriever(snapshot)
        self._evidence = passage_retriever(snapshot, with_variants=True)
        self._use_variants(VariantModel(snapshot, rows, similarity_floor(embeddings), fits))
        self.reviewed_fit: ReviewedFit | None = None
        self._ranking_parts: dict[tuple[tuple[str, ...], tuple[str | None, ...]], tuple] = {}
        # The thresholds' passage_weights, held apart because calibration ranks passages before they exist.
        self._passage_weights = thresholds.passage_weights if thresholds is not None else None
        self.thresholds = thresholds or self.calibrate()

    def _use_variants(self, model: VariantModel) -> None:
        """Decide with these variant classifiers (their labels place the passage evidence)."""
        self.variants = model
        self._evidence_columns = np.array(
            [model.labels.index(label) for label in self._evidence.labels] if self._evidence else [], dtype=int
        )

    def _reviewed_training_rows(self, rows: Sequence[TrainingRow], first_row: int) -> list[TrainingRow]:
        """Reviewed customer questions (their fitted part) as training rows: phrasings the
        articles' own variants lack. A question reviewed as sensitive trains the sensitive
        article of its language whose training texts are closest to it."""
        articles = self.snapshot.articles
        with_variants = {a.id for a in articles.values() if a.questions}
        if not with_variants:
            return []
        labelled: list[tuple[int, str | None]] = []
        for i, question in enumerate(self.reviewed):
            label = training_label(question, with_variants)
            sensitive = not question.held_out and question.expected == "escalate" and question.reason == "sensitive"
            if label is not None or sensitive:
                labelled.append((i, label))
        if not labelled:
            return []
        vectors = self.embed([self.reviewed[i].text for i, _ in labelled])
        sensitive_rows = [r for r in rows if r.label in articles and articles[r.label].handoff]
        sensitive_vectors = np.stack([r.vector for r in sensitive_rows]) if sensitive_rows else None
        added: list[TrainingRow] = []
        for (i, label), vector in zip(labelled, vectors):
            if label is None and sensitive_vectors is not None:
                lang = self.language_of(self.reviewed[i].text, self.reviewed[i].lang)
                similarity = np.where(
                    [articles[r.label].lang == lang for r in sensitive_rows], sensitive_vectors @ vector, -np.inf
                )
                label = sensitive_rows[int(np.argmax(similarity))].label if np.isfinite(similarity).any() else None
            if label is None:
                continue
            self._reviewed_rows[i] = first_row + len(added)
            # Trigger and no-answer rows are held out like triggers in calibration, never as an article.
            kind = "question" if label in articles else "trigger"
            added.append(TrainingRow(self.reviewed[i].text, vector, label, kind))
        return added

    def calibrate(self) -> Thresholds:
        """Thresholds fitted on this snapshot's own articles (minutes on a large base), then
        refitted on the site's reviewed customer questions when it has some."""
        return self._fit_passages_on_reviewed(self._calibrate_variants())

    def _fit_passages_on_reviewed(self, thresholds: Thresholds) -> Thresholds:
        """With enough reviewed questions about plain documents, the passage retriever's views are weighted
        as those questions show (its confidence becomes a probability) and its answer threshold is the lowest
        at which their answers reach the target: the pseudo-questions cut from the articles' sentences
        (calibration.passage_threshold) answered too readily on real questions (piaf: 0.888 conformity)."""
        if self._passages is None:
            return thresholds
        documents = {label: column for column, label in enumerate(self._passages.labels)}
        fit = [q for q in self.reviewed if not q.held_out and (q.expected in documents or q.expected == "no_answer")]
        about_documents = [i for i, q in enumerate(fit) if q.expected in documents]
        if len(about_documents) < MIN_ANSWERABLE:
            return thresholds
        langs = [self.language_of(q.text, q.lang) for q in fit]
        views = [self._passages.features(q.text, vector, lang) for q, vector, lang in zip(fit, self.embed([q.text for q in fit]), langs)]
        weights = [float(w) for w in fit_fusion_weights([views[i] for i in about_documents],
                                                          [documents[fit[i].expected] for i in about_documents])]
        rankings = [self._passage_ranking(view, lang, weights) for view, lang in zip(views, langs)]
        self._passage_weights = weights
        answer = passage_answer_threshold(fit, rankings, self.settings.target_conformity)
        logger.debug("passage views weighted %s, answer threshold %.3f", weights, answer)
        return replace(thresholds, passage_weights=weights, passage_answer=answer)

    def _calibrate_variants(self) -> Thresholds:
        rank_passages = self.rank_passages if self._passages is not None else None
        thresholds = fit_thresholds(self.variants, self.embed, rank_passages, self.settings, self.passage_evidence)
        reviewed = self.reviewed
        if not reviewed or not self.variants.labels:
            return thresholds
        fit = self._fit_on_reviewed(thresholds)
        if self._reviewed_rows:
            # Trained on the reviewed questions or not, whichever answers more of them (cross-fitted)
            # at the target: on a small help centre whose customers each ask about another detail,
            # others' questions can blur the classifiers' margins more than they teach.
            trained, trained_variants, trained_rows = fit, self.variants, self._reviewed_rows
            self._use_variants(VariantModel(self.snapshot, self._base_rows, self.variants.similarity_floor, self._fits))
            self._reviewed_rows = {}
            untrained = self._fit_on_reviewed(thresholds)
            if untrained.answer_rate_fitted > trained.answer_rate_fitted:
                own = fit_thresholds(self.variants, self.embed, rank_passages, self.settings, self.passage_evidence)
                fit = self._fit_on_reviewed(own)
            else:
                self._use_variants(trained_variants)
                self._reviewed_rows = trained_rows
                fit = replace(trained, thresholds=replace(trained.thresholds, trained_on_reviewed=True))
        logger.debug("thresholds %s", fit.summary())
        self.reviewed_fit = fit
        return fit.thresholds

    def _fit_on_reviewed(self, thresholds: Thresholds) -> ReviewedFit:
        self._ranking_parts.clear()
        self._cross_fit_reviewed()
        fit = fit_on_reviewed(
            thresholds, self.reviewed, self._rank_many, lambda label: self.variants.escalation_reason(label) is not None,
            lambda label: reason_of_label(label) is not None, self.settings.target_conformity,
        )
        self._ranking_parts.clear()
        return fit

    def _cross_fit_reviewed(self, folds: int = REVIEWED_FOLDS) -> None:
        """Caches the classifiers' scores of the fitted reviewed questions as models that did not
        train on them would give (the kernel's in closed form, the linear one refitted per fold):
        thresholds fitted on memorised questions would answer far too readily."""
        fitted = [(i, q) for i, q in enumerate(self.reviewed) if not q.held_out]
        if not fitted or not self._reviewed_rows:
            return
        questions = [q.text for _, q in fitted]
        langs = [q.lang for _, q in fitted]
        vectors = self.embed(questions)
        probabilities, kernel_scores = self.variants.components(questions, vectors)
        trained = [(k, self._reviewed_rows[i]) for k, (i, _) in enumerate(fitted) if i in self._reviewed_rows]
        groups = [[(k, row) for n, (k, row) in enumerate(trained) if n % folds == fold] for fold in range(folds)]
        groups = [group for group in groups if group]
        position = {label: j for j, label in enumerate(self.variants.labels)}
        if kernel_scores is not None and self.variants.kernel is not None:
            held = self.variants.kernel.held_out_scores([np.array([row for _, row in group]) for group in groups])
            for group, scores in zip(groups, held):
                kernel_scores[[k for k, _ in group]] = scores
        if probabilities is not None:
            for group in groups:
                left_out = {row for _, row in group}
                linear = linear_classifier(
                    [r for n, r in enumerate(self.variants.rows) if n not in left_out], self.variants.similarity_floor
                )
                if linear is None:
                    continue
                ks = [k for k, _ in group]
                refitted = np.zeros((len(ks), len(self.variants.labels)))
                refitted[:, [position[label] for label in linear.labels]] = linear.probabilities(
                    [questions[k] for k in ks], vectors[ks]
                )
                probabilities[ks] = refitted
        languages = [self.language_of(q, lang) for q, lang in zip(questions, langs)]
        self._ranking_parts[(tuple(questions), tuple(langs))] = (
            (probabilities, kernel_scores),
            [self.variants.language_mask(self.variants.labels, lang) for lang in languages],
            [self.passage_evidence(q, v, lang) for q, v, lang in zip(questions, vectors, languages)],
        )

    def _rank_many(self, questions: Sequence[str], langs: Sequence[str | None], blend: float) -> list[Ranking]:
        """Rankings of many questions at one blend; what does not depend on the blend is computed once."""
        key = (tuple(questions), tuple(langs))
        if key not in self._ranking_parts:
            vectors = self.embed(questions)
            languages = [self.language_of(q, lang) for q, lang in zip(questions, langs)]
            self._ranking_parts[key] = (
                self.variants.components(questions, vectors),
                [self.variants.language_mask(self.variants.labels, lang) for lang in languages],
                [self.passage_evidence(q, v, lang) for q, v, lang in zip(questions, vectors, languages)],
            )
        components, masks, evidence = self._ranking_parts[key]
        scores = self.variants.blended(components, blend)
        rankings = []
        for n, (row, passages, allowed) in enumerate(zip(scores, evidence, masks)):
            row = with_passage_evidence(row, passages, allowed)
            features = answer_features(row, *(part[n] if part is not None else None for part in components), allowed)
            share = label_share(self.variants.labels, row, allowed, self.variants.sensitive)
            ranking = blended_ranking(self.variants.labels, row, allowed)
            rankings.append(replace(ranking, features=features, sensitive_share=share))
        return rankings

    # -- ranking ----------------------------------------------------------------------

    def rank_variants(self, text: str, vector: np.ndarray, lang: str) -> Ranking:
        return self.variants.rank(text, vector, lang, self.thresholds.blend, self.passage_evidence(text, vector, lang))[0]

    def passage_evidence(self, text: str, vector: np.ndarray, lang: str) -> np.ndarray | None:
        """The passage retriever's score of each variant label's article (-inf for the triggers)."""
        if self._evidence is None:
            return None
        evidence = np.full(len(self.variants.labels), -np.inf)
        evidence[self._evidence_columns] = self._evidence.scores(text, vector, lang)
        return evidence

    def rank_passages(self, text: str, vector: np.ndarray, lang: str) -> Ranking:
        if self._passages is None:
            return Ranking([], [], 0.0)
        return self._passage_ranking(self._passages.features(text, vector, lang), lang, self._passage_weights)

    def _passage_ranking(self, views: np.ndarray, lang: str, weights: list[float] | None) -> Ranking:
        assert self._passages is not None
        labels = self._passages.labels
        allowed = language_mask(self.snapshot.articles, labels, lang)
        if weights is None:
            return margin_ranking(labels, views.sum(axis=0), allowed)
        return probability_ranking(labels, np.asarray(weights) @ views, allowed)

    def language_of(self, question: str, hint: str | None = None, fallback: str | None = None) -> str:
        """The language given, else the one the question is written in, else the fallback."""
        return hint or detect_language(question) or fallback or self.settings.default_language

    def embed(self, questions: Sequence[str]) -> np.ndarray:
        return np.asarray(embed_questions(self._embeddings, list(questions)), dtype=np.float32)

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
        variants, variant_scores, allowed = self.variants.rank(
            text, vector, lang, t.blend, self.passage_evidence(text, vector, lang), with_features=t.answer_model is not None
        )
        passages = self.rank_passages(text, vector, lang)
        for ranking, answer_at in ((variants, t.answer_for(lang)), (passages, t.passage_answer)):
            best = ranking.best
            if best is None or best == NO_ANSWER_LABEL:
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
            sure = t.answers(ranking, lang) if ranking is variants else ranking.confidence >= answer_at
            if reason is None and sure:
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
        close = best_ranking is variants and variants.best != NO_ANSWER_LABEL and sum(variants.scores[:2]) >= LIKELY
        return Decision(
            Outcome.DECLINE, replies.decline_text(lang), lang,
            confidence=best_ranking.confidence if best_ranking.best else None,
            reason=(DeclineReason.LOW_CONFIDENCE if close else DeclineReason.OUT_OF_SCOPE).value,
            sources=self._sources(best_ranking),
        )
