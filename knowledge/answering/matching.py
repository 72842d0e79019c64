"""Read path, step two: score every article for a question.

Articles with question variants are matched by two classifiers trained on those variants,
blended: a linear one (logistic regression on the dense sentence embedding plus character
and word TF-IDF, so typos and French inflections still match) and a kernel one (kernel
ridge regression on the same three views, whose held-out scores come in closed form, see
`KernelClassifier`). Articles with no variants (plain documents) are matched by hybrid
retrieval over their passages (`passages.retrieval`). Each path gives a ranking and a
margin-based confidence (a probability for the passages' fitted fusion).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from knowledge.text import fold

# The dense block is weighted against the two TF-IDF blocks (each of unit norm).
DENSE_WEIGHT = 2.0
# Kernel classifier: k(a, b) = KERNEL_DENSE_WEIGHT * exp(KERNEL_SHARPNESS * (cos(a, b) - 1))
# + cos of character TF-IDF + cos of word TF-IDF, ridge KERNEL_RIDGE. Leave-one-out accuracy
# on the variants of the four evaluation bases varies by under a point over dense weights
# 4-16, sharpness 1-4 and ridge 0.3-3, so these are fixed, not fitted per base.
# Both are in the units of a model whose unrelated texts have cosine about 0 (MiniLM). For a
# model whose cosines are squeezed above a floor f (e5: about 0.8), the kernel's sharpness is
# divided by 1 - f and the dense block's weight by sqrt(1 - f): the same spread in both.
KERNEL_DENSE_WEIGHT = 8.0
KERNEL_SHARPNESS = 2.0
KERNEL_RIDGE = 1.0
# The kernel classifier keeps an n x n factor (n training texts); above this many texts the
# variants are matched by the linear classifier alone.
MAX_KERNEL_ROWS = 6000


@dataclass(frozen=True)
class Ranking:
    labels: list[str]
    scores: list[float]  # best first
    confidence: float
    # What the answer model reads (ANSWER_FEATURES), for a variant ranking that computed them.
    features: tuple[float, ...] = ()
    # Share of the score mass on sensitive (handoff: true) articles, when the ranker computed it
    # (`label_share`): what a question nobody answers is escalated on (Thresholds.sensitive_share).
    sensitive_share: float = 0.0

    @property
    def best(self) -> str | None:
        return self.labels[0] if self.labels else None


def _top(labels: Sequence[str], scores: np.ndarray, allowed: np.ndarray | None, top: int) -> tuple[list[str], list[float]]:
    masked = np.where(allowed, scores, -np.inf) if allowed is not None else scores
    order = [i for i in np.argsort(-masked)[:top] if np.isfinite(masked[i])]
    return [labels[i] for i in order], [float(masked[i]) for i in order]


def margin_ranking(labels: Sequence[str], scores: np.ndarray, allowed: np.ndarray | None, top: int = 5) -> Ranking:
    """Confidence is the lead of the best label over the runner-up, in score units."""
    ranked, values = _top(labels, scores, allowed, top)
    if not ranked:
        return Ranking([], [], 0.0)
    second = values[1] if len(values) > 1 else 0.0
    return Ranking(ranked, values, values[0] - second)


def blended_scores(probabilities: np.ndarray, kernel_scores: np.ndarray, blend: float) -> np.ndarray:
    """blend * the linear classifier's probabilities + (1 - blend) * the kernel classifier's scores.

    Both estimate, per label, how likely the question is one of its variants (kernel ridge
    on one-hot targets regresses that probability), so they share a scale.
    """
    if blend >= 1.0:
        return probabilities
    if blend <= 0.0:
        return kernel_scores
    return blend * probabilities + (1.0 - blend) * kernel_scores


# The classifiers learn from the articles' question variants; customers also ask about details
# only the answer mentions. The passage retriever's view (which article's text the question is
# about) is added to the classifiers' scores as a softmax over articles of this weight: on the
# sample help centre's questions it put the right article first 7-10 points more often.
PASSAGE_WEIGHT = 0.25


def with_passage_evidence(scores: np.ndarray, passage_scores: np.ndarray | None, allowed: np.ndarray | None) -> np.ndarray:
    """Classifier scores (labels) with the passage retriever's (same labels; -inf where it has no
    article, e.g. escalation triggers) added as a softmax over the allowed articles."""
    if passage_scores is None:
        return scores
    usable = np.isfinite(passage_scores) if allowed is None else np.isfinite(passage_scores) & allowed
    if not usable.any():
        return scores
    weights = np.where(usable, np.exp(np.where(usable, passage_scores, 0.0) - passage_scores[usable].max()), 0.0)
    return (scores + PASSAGE_WEIGHT * weights / weights.sum()) / (1.0 + PASSAGE_WEIGHT)


def blended_ranking(labels: Sequence[str], scores: np.ndarray, allowed: np.ndarray | None, top: int = 5) -> Ranking:
    """Confidence is the best label's lead over the runner-up in blended score; scores and
    confidence are shown within [0, 1], like probabilities (ridge scores overshoot a little)."""
    ranking = margin_ranking(labels, scores, allowed, top)
    clip = lambda value: float(min(max(value, 0.0), 1.0))  # noqa: E731
    return Ranking(ranking.labels, [clip(v) for v in ranking.scores], clip(ranking.confidence))


def label_share(labels: Sequence[str], scores: np.ndarray, allowed: np.ndarray | None, wanted: np.ndarray) -> float:
    """Share of the (positive) score mass that falls on the wanted labels."""
    positive = np.maximum(scores, 0.0)
    if allowed is not None:
        positive = np.where(allowed, positive, 0.0)
    total = float(positive.sum())
    return float(positive[wanted].sum()) / total if total > 0 else 0.0


def fit_in_row_space(model: LogisticRegression, features: csr_matrix, labels: list[str]) -> np.ndarray:
    """Fits `model` as on `features`, in the span of the training rows; returns the coefficients over
    the rows (B', with coef_ = B' X), which is what to keep: about 30 times smaller than coef_.

    An L2-penalised logistic regression's coefficients lie in the span of its training rows, so
    it can be fitted on n coordinates in that span (Z = U S, where X X^T = U S^2 U^T) instead of
    the d features (n ~ 10^3 texts against d ~ 10^4-10^5 n-grams): the same optimum, reached by
    the same solver steps, several times faster. The coefficients are mapped back (W = X^T U S^-1 B),
    so the model predicts from the features as if fitted on them."""
    values, vectors = np.linalg.eigh((features @ features.T).toarray())
    kept = values > values.max() * 1e-10
    scale = np.sqrt(values[kept])
    model.fit(vectors[:, kept] * scale, labels)
    over_rows = np.asarray(((vectors[:, kept] / scale) @ model.coef_.T).T)
    model.coef_ = coefficients_over_features(over_rows, features)
    model.n_features_in_ = features.shape[1]
    return over_rows


def coefficients_over_features(over_rows: np.ndarray, features: csr_matrix) -> np.ndarray:
    return np.asarray((features.T @ over_rows.T).T)


@dataclass(frozen=True)
class LinearWeights:
    """A fitted VariantClassifier's logistic regression: what fitting it again would give."""

    classes: np.ndarray
    coef: np.ndarray  # over the features, or over the training rows when over_rows (fit_in_row_space)
    intercept: np.ndarray
    over_rows: bool = False


class TextViews:
    """The character and word TF-IDF views of texts, fitted on a classifier's training texts.

    The linear and the kernel classifier fitted on the same rows read the same views: fitted
    once, and a question transformed once for both."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._chars = TfidfVectorizer(preprocessor=fold, analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
        self._words = TfidfVectorizer(preprocessor=fold, ngram_range=(1, 2), sublinear_tf=True)
        self.training: tuple[csr_matrix, csr_matrix] = (self._chars.fit_transform(texts), self._words.fit_transform(texts))

    def of(self, texts: Sequence[str]) -> tuple[csr_matrix, csr_matrix]:
        return self._chars.transform(texts), self._words.transform(texts)


class VariantClassifier:
    """Which article (or escalation trigger) a question is a variant of.

    `fitted`: the weights a fit on exactly these rows gave (stored by the process that fitted them):
    used as they are instead of fitting again (a fit costs seconds of CPU per process)."""

    def __init__(
        self, texts: Sequence[str], vectors: np.ndarray, labels: Sequence[str], similarity_floor: float = 0.0,
        fitted: LinearWeights | None = None, views: TextViews | None = None,
    ) -> None:
        self.views = views if views is not None else TextViews(texts)
        self._dense_weight = DENSE_WEIGHT / np.sqrt(1.0 - similarity_floor)
        # Centred: the direction all of a model's vectors share carries no label, and scaled up it
        # only slows the solver down (40x with e5).
        self._center = np.asarray(vectors, dtype=np.float64).mean(axis=0)
        features = hstack([csr_matrix((vectors - self._center) * self._dense_weight), *self.views.training]).tocsr()
        self._model = LogisticRegression(C=20.0, max_iter=3000)
        if fitted is not None:
            coef = coefficients_over_features(fitted.coef, features) if fitted.over_rows else fitted.coef
            self._model.classes_, self._model.coef_, self._model.intercept_ = fitted.classes, coef, fitted.intercept
            self._model.n_features_in_ = features.shape[1]
            self.weights = fitted
        elif features.shape[0] < features.shape[1] and features.shape[0] <= MAX_KERNEL_ROWS:
            over_rows = fit_in_row_space(self._model, features, list(labels))
            self.weights = LinearWeights(self._model.classes_, over_rows, self._model.intercept_, over_rows=True)
        else:
            self._model.fit(features, list(labels))
            self.weights = LinearWeights(self._model.classes_, self._model.coef_, self._model.intercept_)
        self.labels: list[str] = [str(label) for label in self._model.classes_]

    def probabilities(self, texts: Sequence[str], vectors: np.ndarray,
                      viewed: tuple[csr_matrix, csr_matrix] | None = None) -> np.ndarray:
        """`viewed`: the texts' `views.of(texts)`, when the caller has them already."""
        chars, words = viewed if viewed is not None else self.views.of(texts)
        features = hstack([csr_matrix((vectors - self._center) * self._dense_weight), chars, words]).tocsr()
        return self._model.predict_proba(features)


class KernelClassifier:
    """Which article (or escalation trigger) a question is a variant of, by kernel ridge regression.

    One-hot labels are regressed on a kernel that sums a sharpened dense cosine (a
    Gaussian kernel on unit vectors) and the character and word TF-IDF cosines. With
    A = (K + ridge I)^-1 and weights W = A Y, the scores that a group G of training texts
    would get from a model trained without them are exactly Y_G - (A_GG)^-1 W_G: the
    held-out variants and held-out articles of calibration cost one small solve each
    instead of a refit.
    """

    def __init__(
        self, texts: Sequence[str], vectors: np.ndarray, labels: Sequence[str], similarity_floor: float = 0.0,
        views: TextViews | None = None,
    ) -> None:
        self.views = views if views is not None else TextViews(texts)
        self._sharpness = KERNEL_SHARPNESS / (1.0 - similarity_floor)
        self._vectors = np.asarray(vectors, dtype=np.float64)
        char_matrix, word_matrix = self.views.training
        # Kept transposed, in CSR: `x @ matrix.T` converted the transpose to CSR for every question.
        self._char_matrix_t = char_matrix.T.tocsr()
        self._word_matrix_t = word_matrix.T.tocsr()
        self.labels: list[str] = sorted({str(label) for label in labels})
        index = {label: i for i, label in enumerate(self.labels)}
        self._targets = np.zeros((len(labels), len(self.labels)))
        self._targets[np.arange(len(labels)), [index[str(label)] for label in labels]] = 1.0
        gram = self._kernel(self._vectors, char_matrix, word_matrix)
        gram[np.diag_indices_from(gram)] += KERNEL_RIDGE
        self._factor = cho_factor(gram, overwrite_a=True)
        self._weights = cho_solve(self._factor, self._targets)

    def _kernel(self, vectors: np.ndarray, chars: csr_matrix, words: csr_matrix) -> np.ndarray:
        dense = np.exp(self._sharpness * (np.asarray(vectors, dtype=np.float64) @ self._vectors.T - 1.0))
        return KERNEL_DENSE_WEIGHT * dense + (chars @ self._char_matrix_t).toarray() + (words @ self._word_matrix_t).toarray()

    def scores(self, texts: Sequence[str], vectors: np.ndarray,
               viewed: tuple[csr_matrix, csr_matrix] | None = None) -> np.ndarray:
        """(questions, labels): about 1 for the label a question is a variant of, about 0 for the others.
        `viewed`: the texts' `views.of(texts)`, when the caller has them already."""
        chars, words = viewed if viewed is not None else self.views.of(texts)
        return self._kernel(vectors, chars, words) @ self._weights

    def held_out_scores(self, groups: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Per group of training-row indices, the scores of those rows with the whole group left out."""
        inverse = cho_solve(self._factor, np.eye(len(self._targets)))
        return [
            self._targets[group] - np.linalg.solve(inverse[np.ix_(group, group)], self._weights[group])
            for group in (np.asarray(g, dtype=int) for g in groups)
        ]


def probability_ranking(labels: Sequence[str], scores: np.ndarray, allowed: np.ndarray | None, top: int = 5) -> Ranking:
    """Softmax of the scores over the allowed labels; confidence is the best label's probability."""
    masked = np.where(allowed, scores, -np.inf) if allowed is not None else np.asarray(scores, dtype=float)
    if not np.isfinite(masked).any():
        return Ranking([], [], 0.0)
    exponent = np.exp(masked - masked[np.isfinite(masked)].max())
    probabilities = exponent / exponent.sum()
    ranked, values = _top(labels, probabilities, np.isfinite(masked), top)
    return Ranking(ranked, values, values[0] if values else 0.0)
