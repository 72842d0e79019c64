"""Read path, step one: the whole index as it is in Chroma, in memory, at one version."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from chromadb.api import ClientAPI
from langchain_core.embeddings import Embeddings

from knowledge.articles import Article
from knowledge.store import articles_store, units_store


@dataclass(frozen=True)
class KnowledgeSnapshot:
    articles: dict[str, Article]
    unit_article: list[str]
    unit_kind: list[str]
    unit_text: list[str]
    unit_vectors: np.ndarray  # (units, dim), L2-normalised
    version: str

    @property
    def is_empty(self) -> bool:
        return not self.articles


def snapshot_version(content_hashes: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(content_hashes)).encode()).hexdigest()[:16]


def read_version(client: ClientAPI, collection_name: str, embeddings: Embeddings) -> str:
    """Cheap check whether the index changed since a snapshot was taken."""
    got = articles_store(client, collection_name, embeddings).get(include=["metadatas"])
    return snapshot_version([str(meta.get("content_hash")) for meta in got["metadatas"]])


def load_snapshot(client: ClientAPI, collection_name: str, embeddings: Embeddings) -> KnowledgeSnapshot:
    got_articles = articles_store(client, collection_name, embeddings).get(include=["metadatas", "documents"])
    articles: dict[str, Article] = {}
    hashes: list[str] = []
    for article_id, meta, document in zip(got_articles["ids"], got_articles["metadatas"], got_articles["documents"]):
        title = str(meta["title"])
        body = document[len(title) + 2 :] if document.startswith(title) else document
        questions = str(meta.get("questions") or "")
        articles[article_id] = Article(
            id=article_id,
            title=title,
            lang=str(meta["lang"]),
            body=body,
            questions=tuple(q for q in questions.split("\n") if q),
            handoff=bool(meta.get("handoff")),
            source=str(meta.get("source") or ""),
        )
        hashes.append(str(meta.get("content_hash")))
    got_units = units_store(client, collection_name, embeddings).get(include=["metadatas", "documents", "embeddings"])
    order = sorted(range(len(got_units["ids"])), key=lambda i: got_units["ids"][i])
    vectors = np.asarray(got_units["embeddings"], dtype=np.float32) if order else np.zeros((0, 1), np.float32)
    return KnowledgeSnapshot(
        articles=articles,
        unit_article=[str(got_units["metadatas"][i]["article_id"]) for i in order],
        unit_kind=[str(got_units["metadatas"][i]["kind"]) for i in order],
        unit_text=[got_units["documents"][i] for i in order],
        unit_vectors=vectors[order] if order else vectors,
        version=snapshot_version(hashes),
    )
