"""Baseline: a plain LangChain + Chroma similarity retriever.

One Chroma collection (cosine space, this project's embeddings, never Chroma's default
embedding function) holding every article's title, question variants and text passages;
the article of the single nearest record is the answer, its similarity (1 - cosine
distance) the confidence. Only records in the customer's language (and the escalation
triggers) are searched, with a metadata filter.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from knowledge.index.ingest import units_of
from knowledge.evaluation.baselines.protocol import Corpus, Prediction, Question, allowed_languages
from knowledge.settings import KnowledgeSettings
from knowledge.store import make_client

BATCH = 256


class RememberedEmbeddings(Embeddings):
    """The project's embeddings, each text embedded once: the calibration index and the
    final one share almost every text."""

    def __init__(self, inner: Embeddings) -> None:
        self._inner = inner
        self._vectors: dict[str, list[float]] = {}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            self._vectors.update(zip(missing, self._inner.embed_documents(missing)))
        return [self._vectors[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    @property
    def uncached(self) -> Embeddings:
        """For questions: their latency must include embedding them."""
        return self._inner


def index_texts(corpus: Corpus) -> list[tuple[str, str, str]]:
    """(text, label, lang): the training texts plus each article's passages, cut as ingestion cuts them."""
    rows = [(item.text, item.label, item.lang) for item in corpus.training]
    for article in corpus.articles.values():
        rows += [(unit.text, article.id, article.lang) for unit in units_of(article) if unit.metadata["kind"] == "passage"]
    return rows


def build_store(corpus: Corpus, embeddings: Embeddings, workdir: Path, settings: KnowledgeSettings) -> Chroma:
    store = Chroma(
        client=make_client(settings, path=workdir / "chroma-baselines"),
        collection_name=f"baseline-dense-{uuid.uuid4().hex[:8]}",
        embedding_function=embeddings,
        collection_metadata={"hnsw:space": "cosine"},
    )
    rows = index_texts(corpus)
    for start in tqdm(range(0, len(rows), BATCH), desc="dense baseline: indexing", unit="batch"):
        chunk = rows[start : start + BATCH]
        store.add_texts(
            texts=[text for text, _, _ in chunk],
            metadatas=[{"label": label, "lang": lang} for _, label, lang in chunk],
        )
    return store


def predict(
    corpus: Corpus, questions: Sequence[Question], embeddings: Embeddings, workdir: Path, settings: KnowledgeSettings,
    batch: int = 64,
) -> list[Prediction]:
    """Questions are embedded in batches, as `make eval` does; each latency includes its share."""
    store = build_store(corpus, embeddings, workdir, settings)
    questions_embeddings = embeddings.uncached if isinstance(embeddings, RememberedEmbeddings) else embeddings
    predictions: list[Prediction] = []
    try:
        with tqdm(total=len(questions), desc="dense baseline: questions", unit="q") as bar:
            for start in range(0, len(questions), batch):
                chunk = questions[start : start + batch]
                began = time.perf_counter()
                vectors = questions_embeddings.embed_documents([q.text for q in chunk])
                share_ms = (time.perf_counter() - began) * 1000 / len(chunk)
                for question, vector in zip(chunk, vectors):
                    began = time.perf_counter()
                    allowed = allowed_languages(corpus, question.lang)
                    found = store.similarity_search_by_vector_with_relevance_scores(
                        vector, k=1, filter={"lang": {"$in": sorted(allowed)}} if allowed else None
                    )
                    latency = share_ms + (time.perf_counter() - began) * 1000
                    if found:
                        document, distance = found[0]
                        predictions.append(Prediction(question.id, document.metadata["label"], 1.0 - distance, latency))
                    else:
                        predictions.append(Prediction(question.id, None, 0.0, latency))
                bar.update(len(chunk))
    finally:
        store.delete_collection()
    return predictions
