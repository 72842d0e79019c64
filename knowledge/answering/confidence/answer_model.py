"""What the answer model (reviewed.fit_answer_model) reads of a variant ranking, and what it says."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# The blend's lead over the runner-up alone tells right answers from wrong ones poorly: each classifier's
# own lead for the blend's best article says more, and so does how high its blended score is. A logistic
# model over these (reviewed.fit_answer_model) weighs them; the engine answers on its probability.
ANSWER_FEATURES = ("blended lead", "blended best score", "linear lead", "kernel lead")


def answer_features(
    scores: np.ndarray, probabilities: np.ndarray | None, kernel_scores: np.ndarray | None, allowed: np.ndarray | None
) -> tuple[float, ...]:
    """ANSWER_FEATURES of one question: its blended scores (passage evidence included) and each
    classifier's, over the same labels; a classifier's lead is that of the blend's best label (0 without it)."""
    masked = np.where(allowed, scores, -np.inf) if allowed is not None else np.asarray(scores, dtype=float)
    if np.isfinite(masked).sum() < 2:
        return ()
    best = int(np.argmax(masked))

    def lead(values: np.ndarray | None) -> float:
        if values is None:
            return 0.0
        others = np.delete(np.where(allowed, values, -np.inf) if allowed is not None else values, best)
        return float(values[best] - others.max())

    second = float(np.delete(masked, best).max())
    return (float(masked[best]) - second, float(masked[best]), lead(probabilities), lead(kernel_scores))


def answer_probability(weights: Sequence[float], features: Sequence[float]) -> float:
    """The answer model's probability that the best article is right (weights: intercept first)."""
    logit = weights[0] + float(np.dot(weights[1:], features))
    return float(1.0 / (1.0 + np.exp(-logit)))
