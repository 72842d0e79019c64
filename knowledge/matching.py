"""Read path, step two: score every article for a question.

Articles with question variants are matched by a linear classifier trained on those
variants (dense sentence embedding plus character and word TF-IDF, so typos and French
inflections still match). Articles with no variants (plain documents) are matched by
hybrid retrieval over their passages: BM25 on stems, character TF-IDF and dense cosine,
fused on z-scores. Each path gives a ranking and a margin-based confidence.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rank_bm25 import BM25Okapi
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from knowledge.text import fold, stemmed_tokens

# The dense block is weighted against the two TF-IDF blocks (each of unit norm).
DENSE_WEIGHT = 2.0


@dataclass(frozen=True)
class Ranking:
    labels: list[str]
    scores: list[float]  # best first
    confidence: float

    @property
    def best(self) -> str | None:
        return self.labels[0] if self.labels else None


def _top(labels: Sequence[str], scores: np.ndarray, allowed: np.ndarray | None, top: int) -> tuple[list[str], list[float]]:
    masked = np.where(allowed, scores, -np.inf) if allowed is not None else scores
    order = [i for i in np.argsort(-masked)[:top] if np.isfinite(masked[i])]
    return [labels[i] for i in order], [float(masked[i]) for i in order]


def probability_ranking(labels: Sequence[str], probabilities: np.ndarray, allowed: np.ndarray | None, top: int = 5) -> Ranking:
    """Confidence is the best label's share of the top two probabilities (0.5: a tie, 1: no rival).

    On held-out questions it separates right from wrong answers better than the raw
    probability or the margin when there are few variants per article.
    """
    ranked, scores = _top(labels, probabilities, allowed, top)
    if not ranked:
        return Ranking([], [], 0.0)
    second = scores[1] if len(scores) > 1 else 0.0
    return Ranking(ranked, scores, scores[0] / max(scores[0] + second, 1e-12))


def margin_ranking(labels: Sequence[str], scores: np.ndarray, allowed: np.ndarray | None, top: int = 5) -> Ranking:
    """Confidence is the lead of the best label over the runner-up, in score units."""
    ranked, values = _top(labels, scores, allowed, top)
    if not ranked:
        return Ranking([], [], 0.0)
    second = values[1] if len(values) > 1 else 0.0
    return Ranking(ranked, values, values[0] - second)


class VariantClassifier:
    """Which article (or escalation trigger) a question is a variant of."""

    def __init__(self, texts: Sequence[str], vectors: np.ndarray, labels: Sequence[str]) -> None:
        self._chars = TfidfVectorizer(preprocessor=fold, analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
        self._words = TfidfVectorizer(preprocessor=fold, ngram_range=(1, 2), sublinear_tf=True)
        features = hstack(
            [csr_matrix(vectors * DENSE_WEIGHT), self._chars.fit_transform(texts), self._words.fit_transform(texts)]
        ).tocsr()
        self._model = LogisticRegression(C=20.0, max_iter=3000)
        self._model.fit(features, list(labels))
        self.labels: list[str] = [str(label) for label in self._model.classes_]

    def probabilities(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        features = hstack(
            [csr_matrix(vectors * DENSE_WEIGHT), self._chars.transform(texts), self._words.transform(texts)]
        ).tocsr()
        return self._model.predict_proba(features)


def _zscore(scores: np.ndarray) -> np.ndarray:
    spread = scores.std()
    return (scores - scores.mean()) / spread if spread > 0 else scores * 0.0


class PassageRetriever:
    """Which document answers a question, for articles without question variants.

    Lexical scores (BM25 on stems, character TF-IDF) are taken over each whole article, so
    that a question's words may come from anywhere in it; the dense score is the best of
    the article's passage embeddings. The three are fused on z-scores.
    """

    def __init__(
        self,
        articles: Sequence[tuple[str, str, str]],
        passage_vectors: np.ndarray,
        passage_articles: Sequence[str],
    ) -> None:
        """articles: (id, lang, full text); passage_vectors: one row per passage of those articles."""
        self.labels: list[str] = [article_id for article_id, _, _ in articles]
        position = {label: i for i, label in enumerate(self.labels)}
        self._passage_label = np.array([position[a] for a in passage_articles])
        self._passage_vectors = passage_vectors
        texts = [text for _, _, text in articles]
        self._bm25 = BM25Okapi([stemmed_tokens(text, lang) or ["_"] for _, lang, text in articles])
        self._chars = TfidfVectorizer(preprocessor=fold, analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
        self._char_matrix = self._chars.fit_transform(texts)

    def scores(self, text: str, vector: np.ndarray, lang: str) -> np.ndarray:
        """Fused score per label (article)."""
        lexical = self._bm25.get_scores(stemmed_tokens(text, lang))
        chars = (self._chars.transform([text]) @ self._char_matrix.T).toarray()[0]
        dense = np.full(len(self.labels), -1.0)
        np.maximum.at(dense, self._passage_label, self._passage_vectors @ vector)
        return _zscore(lexical) + _zscore(chars) + _zscore(dense)
