"""Every article content ever published, embedded once, keyed by content hash.

A version of the knowledge base is a manifest (article id -> content hash); the bot answers
from the archived units of the current version's manifest. Publishing embeds only contents
the archive has never seen, and a rollback embeds nothing.

Vectors are kept twice per record: as Chroma embeddings, and in the metadata as base64
float32. Embedded Chroma caches a collection's vector index per process and does not see
what another process wrote (measured with chromadb 1.5: `get(include=["embeddings"])`
fails with "Error finding id" after another process adds and deletes), while metadata is
read from SQLite on every call. The action server must see what the CLI or the web app
published, so the read path uses the metadata copy only.
"""
from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter
from tqdm import tqdm

from knowledge.articles import Article
from knowledge.embeddings import embed_questions, model_tag
from knowledge.settings import KnowledgeSettings
from knowledge.store import ARCHIVE_ARTICLES_SUFFIX, ARCHIVE_UNITS_SUFFIX, raw_collection

PASSAGE_CHARS = 600
_splitter = RecursiveCharacterTextSplitter(chunk_size=PASSAGE_CHARS, chunk_overlap=80)
# Chroma's limit per call is about 5,000 records.
WRITE_BATCH = 2000


@dataclass(frozen=True)
class Unit:
    id: str  # "<article id>#title", "#q<n>" or "#p<n>": the id in the live units collection
    text: str
    metadata: dict[str, str | bool]

    @property
    def suffix(self) -> str:
        return self.id.rsplit("#", 1)[1]


def units_of(article: Article) -> list[Unit]:
    """The texts a question is matched against: title, each question variant, each passage."""
    base: dict[str, str | bool] = {"article_id": article.id, "lang": article.lang, "handoff": article.handoff}
    units = [Unit(f"{article.id}#title", article.title, {**base, "kind": "title"})]
    units += [
        Unit(f"{article.id}#q{number}", question, {**base, "kind": "question"})
        for number, question in enumerate(article.questions)
    ]
    units += [
        Unit(f"{article.id}#p{number}", passage, {**base, "kind": "passage"})
        for number, passage in enumerate(_splitter.split_text(article.body))
    ]
    return units


# Titles and question variants are embedded as questions are, passages as passages.
QUESTION_KINDS = ("title", "question")


def embed_units(units: Sequence[Unit], embeddings: Embeddings) -> list[list[float]]:
    vectors: list[list[float]] = [[] for _ in units]
    for is_question in (True, False):
        picked = [i for i, u in enumerate(units) if (u.metadata["kind"] in QUESTION_KINDS) == is_question]
        texts = [units[i].text for i in picked]
        embedded = embed_questions(embeddings, texts) if is_question else embeddings.embed_documents(texts)
        for i, vector in zip(picked, embedded, strict=True):
            vectors[i] = vector
    return vectors


def article_text(article: Article) -> str:
    return f"{article.title}\n\n{article.body}"


def encode_vector(vector: Sequence[float] | np.ndarray) -> str:
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


def decode_vector(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4")


@dataclass(frozen=True)
class ArchivedUnit:
    unit_id: str  # as in the live index: "<article id>#q0"
    article_id: str
    kind: str
    text: str
    vector: np.ndarray


def _batches(items: Sequence[str], size: int = WRITE_BATCH) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


class Archive:
    """The content-addressed store of embedded articles and units, inside Chroma."""

    def __init__(self, client: ClientAPI, name: str, model: str | None = None) -> None:
        """`model`: the tag of the embedding model (default: the configured one); each model has its own archive."""
        model = model or model_tag(KnowledgeSettings())
        self._articles: Collection = raw_collection(client, name, f"{ARCHIVE_ARTICLES_SUFFIX}-{model}")
        self._units: Collection = raw_collection(client, name, f"{ARCHIVE_UNITS_SUFFIX}-{model}")

    def known(self, hashes: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(hashes))
        found: set[str] = set()
        for batch in _batches(wanted):
            found.update(self._articles.get(ids=batch, include=[])["ids"])
        return found

    def ensure(
        self, articles: Sequence[Article], embeddings: Embeddings, show_progress: bool = False, batch_articles: int = 32
    ) -> int:
        """Embed the articles whose content the archive lacks; return how many texts were embedded."""
        known = self.known(a.content_hash for a in articles)
        missing = list({a.content_hash: a for a in articles if a.content_hash not in known}.values())
        embedded = 0
        with tqdm(total=len(missing), desc="embedding articles", unit="article", disable=not show_progress) as bar:
            for start in range(0, len(missing), batch_articles):
                batch = missing[start : start + batch_articles]
                units = [(article, unit) for article in batch for unit in units_of(article)]
                vectors = embed_units([u for _, u in units], embeddings) + embeddings.embed_documents(
                    [article_text(a) for a in batch]
                )
                unit_vectors, article_vectors = vectors[: len(units)], vectors[len(units) :]
                # Units first: an article record is only written once all its units are there.
                self._units.upsert(
                    ids=[f"{a.content_hash}#{u.suffix}" for a, u in units],
                    embeddings=unit_vectors,
                    documents=[u.text for _, u in units],
                    metadatas=[
                        {**u.metadata, "content_hash": a.content_hash, "vector": encode_vector(v)}
                        for (a, u), v in zip(units, unit_vectors)
                    ],
                )
                self._articles.upsert(
                    ids=[a.content_hash for a in batch],
                    embeddings=article_vectors,
                    documents=[a.body for a in batch],
                    metadatas=[
                        {
                            "article_id": a.id,
                            "title": a.title,
                            "lang": a.lang,
                            "handoff": a.handoff,
                            "questions": "\n".join(a.questions),
                            "source": a.source,
                            "units": " ".join(u.suffix for u in units_of(a)),
                            "vector": encode_vector(v),
                        }
                        for a, v in zip(batch, article_vectors)
                    ],
                )
                embedded += len(vectors)
                bar.update(len(batch))
        return embedded

    def _article_records(self, hashes: Sequence[str]) -> dict[str, tuple[dict, str]]:
        records: dict[str, tuple[dict, str]] = {}
        for batch in _batches(list(dict.fromkeys(hashes))):
            got = self._articles.get(ids=batch, include=["metadatas", "documents"])
            for content_hash, meta, document in zip(got["ids"], got["metadatas"], got["documents"]):
                records[content_hash] = (dict(meta), document or "")
        return records

    def articles(self, hashes: Sequence[str]) -> dict[str, Article]:
        """The archived articles of these content hashes (those the archive has)."""
        found: dict[str, Article] = {}
        for content_hash, (meta, body) in self._article_records(hashes).items():
            found[content_hash] = Article(
                id=str(meta["article_id"]),
                title=str(meta["title"]),
                lang=str(meta["lang"]),
                body=body,
                questions=tuple(q for q in str(meta.get("questions") or "").split("\n") if q),
                handoff=bool(meta.get("handoff")),
                source=str(meta.get("source") or ""),
            )
        return found

    def article_vectors(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """The embedding of each article's title and answer, by content hash."""
        return {h: decode_vector(str(meta["vector"])) for h, (meta, _) in self._article_records(hashes).items()}

    def units(self, articles: Sequence[Article]) -> list[ArchivedUnit]:
        """Every unit of these (archived) articles, with its vector, named as in the live index."""
        records = self._article_records([a.content_hash for a in articles])
        wanted: dict[str, tuple[Article, str]] = {}
        for article in articles:
            meta, _ = records[article.content_hash]
            for suffix in str(meta["units"]).split():
                wanted[f"{article.content_hash}#{suffix}"] = (article, suffix)
        units: list[ArchivedUnit] = []
        for batch in _batches(list(wanted)):
            got = self._units.get(ids=batch, include=["metadatas", "documents"])
            for archive_id, meta, document in zip(got["ids"], got["metadatas"], got["documents"]):
                article, suffix = wanted[archive_id]
                units.append(ArchivedUnit(
                    f"{article.id}#{suffix}", article.id, str(meta["kind"]), document or "", decode_vector(str(meta["vector"]))
                ))
        if len(units) != len(wanted):
            raise LookupError(f"{len(wanted) - len(units)} archived units are missing")
        return units
