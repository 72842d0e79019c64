"""The linear classifier is fitted once per training set: kept in Chroma beside the thresholds, and
loaded, with the same probabilities, by the next process (an action server) that needs it."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from knowledge.answering.service import StoredFits
from knowledge.answering.variants import TrainingRow, linear_classifier, training_fingerprint
from knowledge.settings import KnowledgeSettings
from knowledge.store import make_client

TEXTS = ["I forgot my password", "reset my password please", "password not working",
         "where is my order", "my parcel has not arrived", "track my delivery",
         "I want a human", "let me talk to an advisor"]
LABELS = ["password"] * 3 + ["order"] * 3 + ["@request_human"] * 2
QUESTIONS = ["can't log in, password lost", "parcel late"]


def _rows(texts: list[str]) -> list[TrainingRow]:
    vectors = np.random.default_rng(0).normal(size=(len(texts), 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [TrainingRow(text, vector, label, "question") for text, vector, label in zip(texts, vectors, LABELS)]


def test_a_fit_is_stored_and_the_next_one_loads_it_with_the_same_probabilities(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fits = StoredFits(make_client(KnowledgeSettings(chroma_path=tmp_path)), "kb")
    rows = _rows(TEXTS)
    question_vectors = np.stack([rows[0].vector, rows[4].vector])
    fitted = linear_classifier(rows, 0.2, fits)
    assert fitted is not None
    key = training_fingerprint(TEXTS, np.stack([r.vector for r in rows]), LABELS, 0.2)
    stored = fits.load(key)
    # Kept over the 8 training rows (fit_in_row_space), not over the thousands of n-gram features.
    assert stored is not None and stored.over_rows and stored.coef.shape == (3, len(TEXTS))

    def no_fit(*args: object, **kwargs: object) -> None:
        raise AssertionError("fitted again")

    monkeypatch.setattr(LogisticRegression, "fit", no_fit)
    loaded = linear_classifier(rows, 0.2, StoredFits(make_client(KnowledgeSettings(chroma_path=tmp_path)), "kb"))
    assert loaded is not None and loaded.labels == fitted.labels
    assert np.array_equal(loaded.probabilities(QUESTIONS, question_vectors), fitted.probabilities(QUESTIONS, question_vectors))


def test_other_rows_or_another_similarity_floor_find_no_stored_fit(tmp_path: Path) -> None:
    fits = StoredFits(make_client(KnowledgeSettings(chroma_path=tmp_path)), "kb")
    rows = _rows(TEXTS)
    linear_classifier(rows, 0.2, fits)
    vectors = np.stack([r.vector for r in rows])
    assert fits.load(training_fingerprint(TEXTS, vectors, LABELS, 0.3)) is None
    assert fits.load(training_fingerprint([*TEXTS[:-1], "an advisor please"], vectors, LABELS, 0.2)) is None
    assert fits.load(training_fingerprint(TEXTS, vectors[::-1].copy(), LABELS, 0.2)) is None
