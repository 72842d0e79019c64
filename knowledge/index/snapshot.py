"""Read path, step one: the knowledge base of one version, in memory.

The version is the head of knowledge/index/versions.py; its articles and their embedded units
come from the archive (knowledge/index/archive.py). An index written before versions existed
has no head and is read from the live collections as it is.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from chromadb.api import ClientAPI
from langchain_core.embeddings import Embeddings

from knowledge.index.archive import Archive
from knowledge.articles import Article
from knowledge.store import articles_store, units_store
from knowledge.index.versions import load_manifest, read_head


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


def _legacy_version(client: ClientAPI, collection_name: str, embeddings: Embeddings) -> str:
    got = articles_store(client, collection_name, embeddings).get(include=["metadatas"])
    return snapshot_version([str(meta.get("content_hash")) for meta in got["metadatas"]])


def read_version(client: ClientAPI, collection_name: str, embeddings: Embeddings) -> str:
    """Cheap check whether the knowledge base changed since a snapshot was taken."""
    head = read_head(client, collection_name)
    return head.kb_version if head is not None else _legacy_version(client, collection_name, embeddings)


def snapshot_of(archive: Archive, articles: Sequence[Article]) -> KnowledgeSnapshot:
    """The snapshot of exactly these articles, all of them already in the archive.

    Units are ordered by their id and articles by theirs, so that the same articles always
    give the same snapshot (and the classifier trained on it the same answers).
    """
    ordered = sorted(articles, key=lambda a: a.id)
    units = sorted(archive.units(ordered), key=lambda u: u.unit_id)
    vectors = np.stack([u.vector for u in units]).astype(np.float32) if units else np.zeros((0, 1), np.float32)
    return KnowledgeSnapshot(
        articles={a.id: a for a in ordered},
        unit_article=[u.article_id for u in units],
        unit_kind=[u.kind for u in units],
        unit_text=[u.text for u in units],
        unit_vectors=vectors,
        version=snapshot_version([a.content_hash for a in ordered]),
    )


def head_articles(client: ClientAPI, collection_name: str) -> list[Article] | None:
    """The articles of the version the bot answers from; None for an index without versions."""
    head = read_head(client, collection_name)
    if head is None:
        return None
    _, manifest = load_manifest(client, collection_name, head.number)
    archived = Archive(client, collection_name).articles(list(manifest.values()))
    missing = [article_id for article_id, content_hash in manifest.items() if content_hash not in archived]
    if missing:
        raise LookupError(f"version v{head.number} names articles the archive lacks: {', '.join(missing[:5])}")
    return list(archived.values())


def load_snapshot(client: ClientAPI, collection_name: str, embeddings: Embeddings) -> KnowledgeSnapshot:
    articles = head_articles(client, collection_name)
    if articles is not None:
        return snapshot_of(Archive(client, collection_name), articles)
    return _legacy_snapshot(client, collection_name, embeddings)


def current_articles(client: ClientAPI, collection_name: str, embeddings: Embeddings) -> dict[str, Article]:
    """The articles the bot answers from now, by id."""
    articles = head_articles(client, collection_name)
    if articles is None:
        articles = list(_live_collection_articles(client, collection_name, embeddings)[0].values())
    return {a.id: a for a in sorted(articles, key=lambda a: a.id)}


def _live_collection_articles(
    client: ClientAPI, collection_name: str, embeddings: Embeddings
) -> tuple[dict[str, Article], list[str]]:
    got_articles = articles_store(client, collection_name, embeddings).get(include=["metadatas", "documents"])
    articles: dict[str, Article] = {}
    hashes: list[str] = []
    for article_id, meta, document in sorted(zip(got_articles["ids"], got_articles["metadatas"], got_articles["documents"])):
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
    return articles, hashes


def _legacy_snapshot(client: ClientAPI, collection_name: str, embeddings: Embeddings) -> KnowledgeSnapshot:
    articles, hashes = _live_collection_articles(client, collection_name, embeddings)
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
