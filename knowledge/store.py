"""Chroma: embedded under var/ by default, a Chroma server when CHROMA_HOST is set."""
from __future__ import annotations

from pathlib import Path

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings

from knowledge.settings import KnowledgeSettings

# Every text the bot matches against (question variants, titles, passages), one record each.
UNITS_SUFFIX = "units"
# One record per article: its answer text and front matter, keyed by article id.
ARTICLES_SUFFIX = "articles"


def make_client(settings: KnowledgeSettings, path: Path | None = None) -> ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host and path is None:
        return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
    folder = path or settings.chroma_path
    folder.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(folder), settings=chroma_settings)


def _calibration_collection(client: ClientAPI, name: str):  # type: ignore[no-untyped-def]
    return client.get_or_create_collection(f"{name}-calibration", embedding_function=None)


def load_calibration(client: ClientAPI, name: str, version: str) -> str | None:
    """Thresholds computed for exactly this version of the knowledge base, if any."""
    got = _calibration_collection(client, name).get(ids=[version], include=["documents"])
    documents = got.get("documents") or []
    return documents[0] if documents else None


def save_calibration(client: ClientAPI, name: str, version: str, thresholds_json: str) -> None:
    collection = _calibration_collection(client, name)
    collection.upsert(ids=[version], documents=[thresholds_json], embeddings=[[1.0]])


# Every article content ever published, embedded once (see knowledge/index/archive.py).
ARCHIVE_ARTICLES_SUFFIX = "archive-articles"
ARCHIVE_UNITS_SUFFIX = "archive-units"
# One record per knowledge-base version, and the head: which version the bot answers from.
VERSIONS_SUFFIX = "versions"


def raw_collection(client: ClientAPI, name: str, suffix: str) -> Collection:
    """A Chroma collection written with vectors computed by us (never by Chroma)."""
    return client.get_or_create_collection(
        f"{name}-{suffix}", embedding_function=None, metadata={"hnsw:space": "cosine"}
    )
