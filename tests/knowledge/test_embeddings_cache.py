"""The embedding cache in front of the real model: same vectors, fewer model calls, bounded."""
from __future__ import annotations

import threading

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from knowledge.embeddings import CachedEmbeddings, make_embeddings
from knowledge.settings import KnowledgeSettings


class CountingModel(Embeddings):
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, model: Embeddings) -> None:
        self.model = model
        self.embedded: list[str] = []
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        with self._lock:
            self.embedded += texts
        return self.model.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            self.embedded.append(text)
        return self.model.embed_query(text)


@pytest.fixture(scope="module")
def real_model() -> Embeddings:
    uncached = make_embeddings(KnowledgeSettings(embedding_cache_size=0))
    assert isinstance(uncached, CachedEmbeddings) and uncached.size == 0
    return uncached.model


def test_a_repeated_question_is_embedded_once_with_the_models_exact_vector(real_model: Embeddings) -> None:
    model = CountingModel(real_model)
    cached = CachedEmbeddings(model, size=8)
    first = cached.embed_documents(["I forgot my password"])
    again = cached.embed_documents(["I forgot my password"])
    assert again == first == real_model.embed_documents(["I forgot my password"])
    assert model.embedded == ["I forgot my password"]
    assert (cached.hits, cached.misses) == (1, 1)


def test_a_batch_embeds_only_unseen_texts_once_and_keeps_its_order(real_model: Embeddings) -> None:
    model = CountingModel(real_model)
    cached = CachedEmbeddings(model, size=8)
    cached.embed_documents(["b"])
    vectors = cached.embed_documents(["a", "b", "c", "a"])
    assert model.embedded == ["b", "a", "c"]
    # Padding in a batch moves the last digits of a vector: equal up to float noise.
    assert np.allclose(vectors, real_model.embed_documents(["a", "b", "c", "a"]), atol=1e-5)
    assert vectors[0] == vectors[3]


def test_queries_and_documents_are_cached_apart(real_model: Embeddings) -> None:
    model = CountingModel(real_model)
    cached = CachedEmbeddings(model, size=8)
    assert cached.embed_query("roaming") == real_model.embed_query("roaming")
    cached.embed_documents(["roaming"])
    cached.embed_query("roaming")
    assert model.embedded == ["roaming", "roaming"]


def test_the_least_recently_used_text_leaves_first(real_model: Embeddings) -> None:
    model = CountingModel(real_model)
    cached = CachedEmbeddings(model, size=2)
    cached.embed_documents(["one"])
    cached.embed_documents(["two"])
    cached.embed_documents(["one"])  # "two" is now the least recently used
    cached.embed_documents(["three"])
    cached.embed_documents(["one"])
    cached.embed_documents(["two"])
    assert model.embedded == ["one", "two", "three", "two"]


def test_size_zero_always_asks_the_model(real_model: Embeddings) -> None:
    model = CountingModel(real_model)
    cached = CachedEmbeddings(model, size=0)
    cached.embed_documents(["x"])
    cached.embed_documents(["x"])
    assert model.embedded == ["x", "x"]


def test_changing_a_returned_vector_does_not_change_the_cache(real_model: Embeddings) -> None:
    cached = CachedEmbeddings(CountingModel(real_model), size=4)
    vector = cached.embed_documents(["eSIM"])[0]
    vector[0] = 42.0
    assert cached.embed_documents(["eSIM"])[0] == real_model.embed_documents(["eSIM"])[0]


def test_threads_asking_at_once_all_get_the_models_vectors(real_model: Embeddings) -> None:
    cached = CachedEmbeddings(CountingModel(real_model), size=3)
    texts = [f"question {i % 5}" for i in range(40)]
    # One text a call, as each thread asks: a batch of several rounds differently (by about 1e-7).
    expected = {text: real_model.embed_documents([text])[0] for text in texts[:5]}
    results: dict[int, list[float]] = {}

    def ask(i: int) -> None:
        results[i] = cached.embed_documents([texts[i]])[0]

    workers = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert all(results[i] == expected[texts[i]] for i in range(len(texts)))
    assert len(cached._documents) <= 3


def test_a_negative_size_is_refused(real_model: Embeddings) -> None:
    with pytest.raises(ValueError, match="embedding_cache_size"):
        KnowledgeSettings(embedding_cache_size=-1)
    with pytest.raises(ValueError, match="embedding cache size"):
        CachedEmbeddings(real_model, size=-1)
