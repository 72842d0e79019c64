"""Fitting an engine's thresholds on its own knowledge base (see calibration.py for the rules).

The variant classifiers are cross-validated: held-out variants, variants of whole held-out
articles and generic out-of-scope questions are scored by models that never saw them; the
blend of the two classifiers and its thresholds are chosen on those scores. The passage
path is calibrated on pseudo-questions cut from the plain documents' own sentences.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

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
from knowledge.answering.matching import Ranking, blended_ranking, blended_scores, label_share, with_passage_evidence
from knowledge.answering.triggers import NO_ANSWER_LABEL, reason_of_label
from knowledge.answering.variants import VariantModel, linear_classifier
from knowledge.contract import EscalationReason
from knowledge.settings import KnowledgeSettings

Embed = Callable[[Sequence[str]], np.ndarray]
RankPassages = Callable[[str, np.ndarray, str], Ranking]
PassageEvidence = Callable[[str, np.ndarray, str], np.ndarray | None]


@dataclass(frozen=True)
class HeldOutScores:
    """One held-out question: both classifiers' scores over all labels, from models that never saw it."""
    probabilities: np.ndarray  # linear classifier, zeros for labels its training lacked
    kernel_scores: np.ndarray
    allowed: np.ndarray  # labels that compete: the question's language, its own article absent if held out
    truth: str | None  # None for the generic out-of-scope questions
    in_scope: bool  # its article is in the training
    passages: np.ndarray | None = None  # the passage retriever's score per label (see with_passage_evidence)


def _allowed(model: VariantModel, lang: str) -> np.ndarray:
    mask = model.language_mask(model.labels, lang)
    return np.ones(len(model.labels), bool) if mask is None else mask


def _lang_of_label(model: VariantModel, label: str, default_language: str) -> str:
    article = model.snapshot.articles.get(label)
    return article.lang if article is not None else default_language


def held_out_scores(
    model: VariantModel, embed: Embed, default_language: str, seed: int = 0, evidence: PassageEvidence | None = None
) -> list[HeldOutScores]:
    """Scores of held-out variants (in scope) and of whole held-out articles' variants (out of
    scope), FOLDS-fold: each fold leaves out a quarter of the articles and a quarter of the
    other articles' variants; plus the generic out-of-scope questions on the full models."""
    rows = model.rows
    labels = model.labels
    position = {label: i for i, label in enumerate(labels)}
    rng = np.random.default_rng(seed)
    # The no-answer rows (small talk, off-topic and reviewed unanswerable questions) always train and are
    # never held out here: as negatives they would outnumber and dilute the held-out articles, the
    # near-domain questions that say where answering must stop (the reviewed refit uses its own).
    heldable = np.array([r.kind in ("question", "trigger") and r.label != NO_ANSWER_LABEL for r in rows])
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
        model.kernel.held_out_scores([left for _, _, left in folds] + list(article_rows.values()))
        if model.kernel is not None else None
    )
    by_article = dict(zip(article_rows, kernel_held[FOLDS:])) if kernel_held is not None else {}
    held: list[HeldOutScores] = []
    for fold, (left_articles, left_variants, left) in enumerate(folds):
        tested = np.where(left_variants | (left_articles & heldable))[0]
        if not tested.size:
            continue
        kept = [rows[i] for i in range(len(rows)) if not (left_articles[i] or left_variants[i])]
        linear = linear_classifier(kept, model.similarity_floor)
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
            lang = _lang_of_label(model, row.label, default_language)
            allowed = _allowed(model, lang)
            if left_articles[i]:
                allowed[position[row.label]] = False
            passages = evidence(row.text, row.vector, lang) if evidence is not None else None
            held.append(HeldOutScores(
                probabilities[k], kernel_scores[k], allowed, row.label, bool(left_variants[i]), passages
            ))
    # Only in the languages the base answers in: elsewhere every label competes, and a
    # French question to an English base finds the bilingual trigger examples closest.
    languages = {a.lang for a in model.snapshot.articles.values()}
    generic_questions = [(lang, text) for lang, text in load_out_of_scope_examples() if lang in languages]
    if generic_questions:
        texts = [text for _, text in generic_questions]
        vectors = embed(texts)
        probabilities, kernel_scores = model.components(texts, vectors)  # one transform of the texts for both
        if probabilities is None:
            probabilities = np.zeros((len(texts), len(labels)))
        if kernel_scores is None:
            kernel_scores = np.zeros_like(probabilities)
        for (lang, text), vector, p, k in zip(generic_questions, vectors, probabilities, kernel_scores):
            passages = evidence(text, vector, lang) if evidence is not None else None
            held.append(HeldOutScores(p, k, _allowed(model, lang), None, False, passages))
    return held


def held_out(model: VariantModel, scores: Sequence[HeldOutScores], blend: float) -> HeldOut:
    """What the engine would decide on each held-out question at this blend."""
    labels = model.labels
    columns: dict[str, list[Any]] = {
        name: [] for name in ("confidence", "correct", "escalates", "requests", "share", "sensitive")
    }
    for item in scores:
        blended = with_passage_evidence(
            blended_scores(item.probabilities, item.kernel_scores, blend), item.passages, item.allowed
        )
        ranking = blended_ranking(labels, blended, item.allowed)
        predicted = ranking.best or ""
        predicted_escalates = model.escalation_reason(predicted) is not None
        truth_escalates = item.truth is not None and model.escalation_reason(item.truth) is not None
        # A question ranked as one no article answers is declined, whatever the confidence.
        columns["confidence"].append(-np.inf if predicted == NO_ANSWER_LABEL else ranking.confidence)
        columns["correct"].append(predicted == item.truth or (predicted_escalates and truth_escalates))
        columns["escalates"].append(predicted_escalates)
        columns["requests"].append(reason_of_label(predicted) is not None)
        columns["share"].append(label_share(labels, blended, item.allowed, model.sensitive))
        columns["sensitive"].append(
            item.truth is not None and model.escalation_reason(item.truth) is EscalationReason.SENSITIVE
        )
    return HeldOut(
        np.array(columns["confidence"], float), np.array(columns["correct"], bool),
        np.array(columns["escalates"], bool), np.array(columns["requests"], bool),
        np.array([item.in_scope for item in scores], bool), np.array([item.truth is None for item in scores], bool),
        np.array(columns["share"], float), np.array(columns["sensitive"], bool),
        np.array([item.truth is not None and reason_of_label(item.truth) is not None for item in scores], bool),
    )


def fit_variant_thresholds(
    model: VariantModel, embed: Embed, settings: KnowledgeSettings, evidence: PassageEvidence | None = None
) -> Thresholds:
    """The blend answering or escalating most held-out variants at the targets, and its thresholds."""
    scores = held_out_scores(model, embed, settings.default_language, evidence=evidence)
    blends = BLENDS if model.kernel is not None else (1.0,)
    best: tuple[float, float, HeldOut, tuple[float, float, float]] | None = None
    for blend in blends:
        held = held_out(model, scores, blend)
        found = thresholds_from_held_out(held, settings.target_conformity, settings.target_escalation_precision)
        share = handled_share(held, *found)
        if best is None or share > best[0]:
            best = (share, blend, held, found)
    assert best is not None
    _, blend, held, (answer, sensitive, request) = best
    return Thresholds(
        answer=answer, escalate_sensitive=sensitive, escalate_request=request, blend=blend,
        sensitive_share=sensitive_share_threshold(held, answer, sensitive, request, settings.target_escalation_precision),
    )


def fit_thresholds(
    model: VariantModel, embed: Embed, rank_passages: RankPassages | None, settings: KnowledgeSettings,
    evidence: PassageEvidence | None = None,
) -> Thresholds:
    """Every threshold of an engine: the variant path's, and the passage path's when the base
    has plain documents (`rank_passages` is then the engine's passage ranking)."""
    variants = Thresholds()
    if model.labels:
        variants = fit_variant_thresholds(model, embed, settings, evidence)
    passage = Thresholds().passage_answer
    if rank_passages is not None:
        documents = [(a.id, a.lang, a.body) for a in model.snapshot.articles.values() if not a.questions]

        def rank(questions: list[str], langs: list[str]) -> list[tuple[str | None, float]]:
            rankings = [rank_passages(q, v, lang) for q, v, lang in zip(questions, embed(questions), langs)]
            return [(ranking.best, ranking.confidence) for ranking in rankings]

        passage = passage_threshold(documents, rank, settings.target_conformity)
    return Thresholds(
        answer=variants.answer, escalate_sensitive=variants.escalate_sensitive,
        escalate_request=variants.escalate_request, passage_answer=passage, blend=variants.blend,
        sensitive_share=variants.sensitive_share,
    )
