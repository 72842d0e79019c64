"""The variant classifiers of one snapshot: trained on the articles' question variants, titles
and passages and on the escalation triggers' examples; what deciding scores a question with
and what calibration cross-validates."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import sklearn
from langchain_core.embeddings import Embeddings

from knowledge.answering.confidence.answer_model import answer_features
from knowledge.answering.matching import (
    DENSE_WEIGHT,
    MAX_KERNEL_ROWS,
    KernelClassifier,
    LinearWeights,
    Ranking,
    TextViews,
    VariantClassifier,
    blended_ranking,
    blended_scores,
    label_share,
    with_passage_evidence,
)
from knowledge.answering.triggers import NO_ANSWER_LABEL, TriggerExample, reason_of_label
from knowledge.articles import Article
from knowledge.contract import EscalationReason
from knowledge.embeddings import embed_questions
from knowledge.index.snapshot import KnowledgeSnapshot

# Passages train the classifier too: customers ask about details only the answer mentions.
TRAINING_KINDS = ("question", "title", "passage")


@dataclass(frozen=True)
class TrainingRow:
    text: str
    vector: np.ndarray
    label: str  # an article id, or a trigger label such as "@complaint"
    kind: str  # "question", "title", "passage" or "trigger"


def training_rows(snapshot: KnowledgeSnapshot, triggers: Sequence[TriggerExample], trigger_vectors: np.ndarray,
                  similarity_floor: float = 0.0) -> list[TrainingRow]:
    with_variants = {a.id for a in snapshot.articles.values() if a.questions}
    rows = [
        TrainingRow(text, vector, article_id, kind)
        for text, vector, article_id, kind in zip(
            snapshot.unit_text, snapshot.unit_vectors, snapshot.unit_article, snapshot.unit_kind
        )
        if article_id in with_variants and kind in TRAINING_KINDS
    ]
    rows += [TrainingRow(t.text, v, t.label, "trigger") for t, v in zip(triggers, trigger_vectors)]
    return without_answered_examples(rows, similarity_floor)


# A shipped no-answer example (small talk, off-topic) that the base's own rows read as a variant of one
# of its articles at least this likely (the kernel classifier's score, a probability) is that article's.
ANSWERED_EXAMPLE_SCORE = 0.5


def without_answered_examples(rows: list[TrainingRow], similarity_floor: float = 0.0) -> list[TrainingRow]:
    """The rows without the shipped no-answer examples that an article of this base answers.

    The examples are written for a company's help centre ("thank you", "tell me a joke", "what's the
    weather like tomorrow"); a base with articles about exactly that (CLINC150 has 'thank you', 'tell
    joke', 'weather', 'yes', 'no'...) was taught that its own questions are answered by nothing. Each
    example is scored by a kernel classifier trained on the other rows, none of the examples among them
    (measured on the articles' questions and titles: on CLINC150 about 60 of the 283 examples score 0.5-0.97
    for an article of theirs, 'thank you', 'no', 'hello', 'tell me a joke'; on the sample help centre none
    passes 0.42, "it's not working" for the no-signal article)."""
    shipped = [i for i, r in enumerate(rows) if r.kind == "trigger" and r.label == NO_ANSWER_LABEL]
    others = [r for i, r in enumerate(rows) if not (r.kind == "trigger" and r.label == NO_ANSWER_LABEL)]
    if not shipped or not any(r.kind != "trigger" for r in others):
        return rows
    kernel = kernel_classifier(others, similarity_floor)
    if kernel is None:
        return rows
    scores = kernel.scores([rows[i].text for i in shipped], np.stack([rows[i].vector for i in shipped]))
    articles = {r.label for r in others if r.kind != "trigger"}
    is_article = np.array([label in articles for label in kernel.labels])
    best = scores.argmax(axis=1)
    answered = {
        i for i, row_scores, top in zip(shipped, scores, best)
        if is_article[top] and row_scores[top] >= ANSWERED_EXAMPLE_SCORE
    }
    return [r for i, r in enumerate(rows) if i not in answered]


# (id of the embeddings, texts) -> (the embeddings, kept alive so that the id stays theirs; vectors)
_EMBEDDED: dict[tuple[int, tuple[str, ...]], tuple[Embeddings, np.ndarray]] = {}


def trigger_vectors(embeddings: Embeddings, triggers: Sequence[TriggerExample], dimension: int) -> np.ndarray:
    """The trigger examples are the same at every rebuild of the engine: embedded once per process."""
    if not triggers:
        return np.zeros((0, dimension), np.float32)
    key = (id(embeddings), tuple(t.text for t in triggers))
    if key not in _EMBEDDED:
        vectors = np.asarray(embed_questions(embeddings, list(key[1])), dtype=np.float32)
        vectors.setflags(write=False)
        if len(_EMBEDDED) >= 8:
            _EMBEDDED.clear()
        _EMBEDDED[key] = (embeddings, vectors)
    return _EMBEDDED[key][1]


class FittedWeights(Protocol):
    """Where linear classifiers fitted once are kept, by the fingerprint of what they were fitted on."""

    def load(self, key: str) -> LinearWeights | None: ...

    def save(self, key: str, weights: LinearWeights) -> None: ...


def training_fingerprint(texts: Sequence[str], vectors: np.ndarray, labels: Sequence[str], similarity_floor: float) -> str:
    """Changes with anything a linear classifier's fit depends on (the rows, exactly; the library; its settings)."""
    digest = hashlib.sha256(f"linear|sklearn {sklearn.__version__}|C 20|{DENSE_WEIGHT!r}|{similarity_floor!r}|"
                            f"{vectors.dtype}|{vectors.shape}".encode())
    for text, label in zip(texts, labels, strict=True):
        digest.update(f"{text}\0{label}\0".encode())
    digest.update(np.ascontiguousarray(vectors).tobytes())
    return digest.hexdigest()[:40]


def linear_classifier(rows: Sequence[TrainingRow], similarity_floor: float = 0.0,
                      fits: FittedWeights | None = None, views: TextViews | None = None) -> VariantClassifier | None:
    """`fits`: where a fit of exactly these rows may be found, and where this one is kept if it is new.
    `views`: the TF-IDF views fitted on exactly these rows' texts, if the caller has them."""
    if len({r.label for r in rows}) < 2:
        return None
    texts, vectors, labels = [r.text for r in rows], np.stack([r.vector for r in rows]), [r.label for r in rows]
    if fits is None:
        return VariantClassifier(texts, vectors, labels, similarity_floor, views=views)
    key = training_fingerprint(texts, vectors, labels, similarity_floor)
    fitted = fits.load(key)
    classifier = VariantClassifier(texts, vectors, labels, similarity_floor, fitted=fitted, views=views)
    if fitted is None:
        fits.save(key, classifier.weights)
    return classifier


def kernel_classifier(rows: Sequence[TrainingRow], similarity_floor: float = 0.0,
                      views: TextViews | None = None) -> KernelClassifier | None:
    if len({r.label for r in rows}) < 2 or len(rows) > MAX_KERNEL_ROWS:
        return None
    return KernelClassifier(
        [r.text for r in rows], np.stack([r.vector for r in rows]), [r.label for r in rows], similarity_floor, views
    )


def escalation_reason(articles: dict[str, Article], label: str) -> EscalationReason | None:
    """Why a question matched to this label goes to a person: a trigger, or a `handoff: true` article."""
    reason = reason_of_label(label)
    if reason is not None:
        return reason
    article = articles.get(label)
    return EscalationReason.SENSITIVE if article is not None and article.handoff else None


def language_mask(articles: dict[str, Article], labels: Sequence[str], lang: str) -> np.ndarray | None:
    """Only articles in the customer's language compete, when the base has any."""
    langs = [articles[l].lang if l in articles else None for l in labels]
    if lang not in langs:
        return None
    return np.array([l is None or l == lang for l in langs])


class VariantModel:
    """The kernel classifier (built at once) and the linear one (fitted on first use: with a
    saved calibration that gives it no weight, never), over the same labels."""

    def __init__(self, snapshot: KnowledgeSnapshot, rows: Sequence[TrainingRow], similarity_floor: float = 0.0,
                 fits: FittedWeights | None = None) -> None:
        self.snapshot = snapshot
        self.fits = fits
        self.rows = list(rows)
        self.similarity_floor = similarity_floor
        self.views = TextViews([r.text for r in self.rows]) if len({r.label for r in self.rows}) >= 2 else None
        self.kernel = kernel_classifier(self.rows, similarity_floor, self.views)
        self._linear: VariantClassifier | None = None
        self.linear_fitted = False
        model = self.kernel or self.linear()
        self.labels: list[str] = model.labels if model is not None else []
        self.sensitive = np.array(
            [self.escalation_reason(l) is EscalationReason.SENSITIVE for l in self.labels], bool
        )

    def linear(self) -> VariantClassifier | None:
        if not self.linear_fitted:
            self._linear = linear_classifier(self.rows, self.similarity_floor, self.fits, self.views)
            self.linear_fitted = True
        return self._linear

    def escalation_reason(self, label: str) -> EscalationReason | None:
        return escalation_reason(self.snapshot.articles, label)

    def language_mask(self, labels: Sequence[str], lang: str) -> np.ndarray | None:
        return language_mask(self.snapshot.articles, labels, lang)

    def scores(self, texts: Sequence[str], vectors: np.ndarray, blend: float) -> np.ndarray:
        """(questions, labels) blended scores."""
        return self.blended(self.components(texts, vectors, blend), blend)

    def components(
        self, texts: Sequence[str], vectors: np.ndarray, blend: float | None = None
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(linear probabilities, kernel scores) of the questions: those the blend needs (None: both)."""
        kernel = self.kernel
        linear = self.linear() if (blend is None or blend > 0 or kernel is None) else None
        kernel = kernel if blend is None or blend < 1 else None
        viewed = self.views.of(texts) if self.views is not None and (kernel is not None or linear is not None) else None
        kernel_scores = kernel.scores(texts, vectors, viewed) if kernel is not None else None
        probabilities = linear.probabilities(texts, vectors, viewed) if linear is not None else None
        return probabilities, kernel_scores

    def blended(self, components: tuple[np.ndarray | None, np.ndarray | None], blend: float) -> np.ndarray:
        probabilities, kernel_scores = components
        if self.kernel is None:
            blend = 1.0
        if blend >= 1.0:
            kernel_scores = None
        if blend <= 0.0 and kernel_scores is not None:
            probabilities = None
        if probabilities is None:
            return kernel_scores if kernel_scores is not None else np.zeros((0, 0))  # no classifier (no labels)
        if kernel_scores is None:
            return probabilities
        return blended_scores(probabilities, kernel_scores, blend)

    def rank(
        self, text: str, vector: np.ndarray, lang: str, blend: float, passage_scores: np.ndarray | None = None,
        with_features: bool = False,
    ) -> tuple[Ranking, np.ndarray, np.ndarray | None]:
        """The ranking, with the scores (passage evidence included) and language mask it came from;
        `with_features`: with what the answer model reads (both classifiers' scores are then computed)."""
        if not self.labels:
            return Ranking([], [], 0.0), np.zeros(0), None
        allowed = self.language_mask(self.labels, lang)
        components = self.components([text], vector[None, :], None if with_features else blend)
        scores = with_passage_evidence(self.blended(components, blend)[0], passage_scores, allowed)
        ranking = blended_ranking(self.labels, scores, allowed)
        if with_features:
            ranking = replace(ranking, features=answer_features(
                scores, *(part[0] if part is not None else None for part in components), allowed
            ))
        return ranking, scores, allowed

    def leaning(self, scores: np.ndarray, allowed: np.ndarray | None, threshold: float) -> tuple[str, float] | None:
        """When the scores lean enough towards sensitive articles, the likeliest of them and the share."""
        candidates = self.sensitive if allowed is None else self.sensitive & allowed
        if not scores.size or not candidates.any():
            return None
        share = label_share(self.labels, scores, allowed, self.sensitive)
        if share < threshold:
            return None
        return self.labels[int(np.argmax(np.where(candidates, scores, -np.inf)))], share
