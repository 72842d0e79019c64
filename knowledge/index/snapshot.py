"""Read path, step one: the knowledge base of one version, in memory.

The version is the head of knowledge/index/versions.py; its articles and their embedded units
come from the archive (knowledge/index/archive.py). An index nothing was written to yet has no
head: its snapshot is empty.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from chromadb.api import ClientAPI
from langchain_core.embeddings import Embeddings

from knowledge.articles import Article
from knowledge.index.archive import Archive
from knowledge.index.versions import load_manifest, read_head
from knowledge.store import ARTICLES_SUFFIX, raw_collection


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


# `embeddings` below is no longer read (it served indexes written before versions existed);
# callers outside knowledge/index still pass it.


def read_version(client: ClientAPI, collection_name: str, embeddings: Embeddings | None = None) -> str:
    """Cheap check whether what the bot answers with changed since a snapshot was taken: the articles,
    or the answer thresholds set on them (Head.answering)."""
    head = read_head(client, collection_name)
    return head.answering if head is not None else snapshot_version([])


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


def head_articles(client: ClientAPI, collection_name: str) -> list[Article]:
    """The articles of the version the bot answers from (none before anything was published)."""
    head = read_head(client, collection_name)
    if head is None:
        return []
    _, manifest = load_manifest(client, collection_name, head.number)
    archived = Archive(client, collection_name).articles(list(manifest.values()))
    missing = [article_id for article_id, content_hash in manifest.items() if content_hash not in archived]
    if missing:
        raise LookupError(f"version v{head.number} names articles the archive lacks: {', '.join(missing[:5])}")
    return list(archived.values())


def load_snapshot(client: ClientAPI, collection_name: str, embeddings: Embeddings | None = None) -> KnowledgeSnapshot:
    return snapshot_of(Archive(client, collection_name), head_articles(client, collection_name))


def current_articles(client: ClientAPI, collection_name: str, embeddings: Embeddings | None = None) -> dict[str, Article]:
    """The articles the bot answers from now, by id."""
    return {a.id: a for a in sorted(head_articles(client, collection_name), key=lambda a: a.id)}


def live_articles(client: ClientAPI, collection_name: str) -> list[Article]:
    """What the live collections hold, by id (what `python -m knowledge list` shows, and any
    Chroma client reads): the same articles as the head's, read without the archive."""
    got = raw_collection(client, collection_name, ARTICLES_SUFFIX).get(include=["metadatas", "documents"])
    articles = []
    for article_id, meta, document in sorted(zip(got["ids"], got["metadatas"], got["documents"])):
        title = str(meta["title"])
        articles.append(Article(
            id=article_id,
            title=title,
            lang=str(meta["lang"]),
            body=document[len(title) + 2 :] if document.startswith(title) else document,
            questions=tuple(q for q in str(meta.get("questions") or "").split("\n") if q),
            handoff=bool(meta.get("handoff")),
            source=str(meta.get("source") or ""),
        ))
    return articles


def has_live_articles(client: ClientAPI, collection_name: str) -> bool:
    return raw_collection(client, collection_name, ARTICLES_SUFFIX).count() > 0
