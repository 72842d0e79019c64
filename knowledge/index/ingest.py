"""Write path: articles in, Chroma records out. Idempotent: unchanged articles embed nothing.

Contents are embedded once into the archive (knowledge/index/archive.py); the live collections
(`<name>-units`, `<name>-articles`, read by `list`, the help pages and any Chroma client)
are then made to hold exactly the given articles, copying vectors from the archive.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from chromadb.api import ClientAPI
from langchain_core.embeddings import Embeddings

from knowledge.index.archive import PASSAGE_CHARS, Archive, Unit, units_of
from knowledge.articles import Article
from knowledge.store import ARTICLES_SUFFIX, UNITS_SUFFIX, raw_collection
from knowledge.index.versions import VersionInfo, VersionKind, read_head, record_version
from knowledge.index.write_lock import chroma_folder, write_lock

__all__ = ["PASSAGE_CHARS", "Diff", "IngestReport", "Unit", "article_metadata", "diff_of", "ingest", "live_manifest",
           "units_of", "write_live"]

WRITE_BATCH = 2000


@dataclass(frozen=True)
class Diff:
    """What making some articles live changes: article ids added, changed, removed; how many stay."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def summary(self, changed: str = "changed") -> str:
        return (
            f"added {len(self.added)}, {changed} {len(self.changed)}, removed {len(self.removed)}, "
            f"unchanged {self.unchanged}"
        )


def diff_of(live: Mapping[str, str], articles: Sequence[Article]) -> Diff:
    """live: what is live now, article id -> content hash."""
    wanted = {a.id: a.content_hash for a in articles}
    return Diff(
        added=sorted(i for i in wanted if i not in live),
        changed=sorted(i for i, content in wanted.items() if i in live and live[i] != content),
        removed=sorted(i for i in live if i not in wanted),
        unchanged=sum(1 for i, content in wanted.items() if live.get(i) == content),
    )


@dataclass
class IngestReport:
    diff: Diff
    texts_embedded: int = 0
    version: VersionInfo | None = None  # the version recorded, when something changed

    @property
    def added(self) -> list[str]:
        return self.diff.added

    @property
    def updated(self) -> list[str]:
        return self.diff.changed

    @property
    def removed(self) -> list[str]:
        return self.diff.removed

    @property
    def unchanged(self) -> int:
        return self.diff.unchanged

    def summary(self) -> str:
        return f"{self.diff.summary('updated')}, texts embedded {self.texts_embedded}"


def article_metadata(article: Article) -> dict[str, str | bool]:
    return {
        "title": article.title,
        "lang": article.lang,
        "handoff": article.handoff,
        "content_hash": article.content_hash,
        "source": article.source,
        "questions": "\n".join(article.questions),
    }


def live_manifest(client: ClientAPI, name: str) -> dict[str, str]:
    """What the live collections hold: article id -> content hash."""
    got = raw_collection(client, name, ARTICLES_SUFFIX).get(include=["metadatas"])
    return {rid: str(meta.get("content_hash")) for rid, meta in zip(got["ids"], got["metadatas"])}


def write_live(client: ClientAPI, name: str, articles: Sequence[Article], archive: Archive) -> IngestReport:
    """Make the live collections hold exactly `articles` (all archived), embedding nothing."""
    units = raw_collection(client, name, UNITS_SUFFIX)
    records = raw_collection(client, name, ARTICLES_SUFFIX)
    diff = diff_of(live_manifest(client, name), articles)
    to_write = [article for article in articles if article.id in {*diff.added, *diff.changed}]
    replaced = diff.removed + diff.changed
    for start in range(0, len(replaced), 200):
        units.delete(where={"article_id": {"$in": replaced[start : start + 200]}})
    if diff.removed:
        records.delete(ids=diff.removed)
    for start in range(0, len(to_write), 200):
        batch = to_write[start : start + 200]
        archived = archive.units(batch)
        for unit_start in range(0, len(archived), WRITE_BATCH):
            chunk = archived[unit_start : unit_start + WRITE_BATCH]
            by_article = {a.id: a for a in batch}
            units.upsert(
                ids=[u.unit_id for u in chunk],
                embeddings=[u.vector.tolist() for u in chunk],
                documents=[u.text for u in chunk],
                metadatas=[
                    {"article_id": u.article_id, "lang": by_article[u.article_id].lang,
                     "handoff": by_article[u.article_id].handoff, "kind": u.kind}
                    for u in chunk
                ],
            )
        vectors = archive.article_vectors([a.content_hash for a in batch])
        records.upsert(
            ids=[a.id for a in batch],
            embeddings=[vectors[a.content_hash].tolist() for a in batch],
            documents=[f"{a.title}\n\n{a.body}" for a in batch],
            metadatas=[article_metadata(a) for a in batch],
        )
    return IngestReport(diff)


def ingest(
    articles: list[Article],
    client: ClientAPI,
    collection_name: str,
    embeddings: Embeddings,
    show_progress: bool = True,
    batch_articles: int = 32,
    author: str = "ingest",
) -> IngestReport:
    """Make the knowledge base hold exactly `articles`, with no checks; re-embed only what changed.

    Records a version when anything changed (see knowledge/publishing/publish.py for the checked way).
    Holds the write lock, as publish and rollback do: raises PublishInProgress while one of them runs.
    """
    with write_lock(chroma_folder(client), author, "ingest"):
        return _ingest(articles, client, collection_name, embeddings, show_progress, batch_articles, author)


def _ingest(
    articles: list[Article], client: ClientAPI, collection_name: str, embeddings: Embeddings, show_progress: bool,
    batch_articles: int, author: str,
) -> IngestReport:
    from knowledge.index.snapshot import snapshot_version

    archive = Archive(client, collection_name)
    embedded = archive.ensure(articles, embeddings, show_progress=show_progress, batch_articles=batch_articles)
    report = write_live(client, collection_name, articles, archive)
    report.texts_embedded = embedded
    kb_version = snapshot_version([a.content_hash for a in articles])
    head = read_head(client, collection_name)
    if not report.diff.is_empty or head is None or head.kb_version != kb_version:
        report.version = record_version(
            client, collection_name, {a.id: a.content_hash for a in articles}, kb_version, author, VersionKind.INGEST,
            added=report.added, changed=report.updated, removed=report.removed,
        )
    return report
