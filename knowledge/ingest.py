"""Write path: articles in, Chroma records out. Idempotent: unchanged articles embed nothing."""
from __future__ import annotations

from dataclasses import dataclass, field

from chromadb.api import ClientAPI
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter
from tqdm import tqdm

from knowledge.articles import Article
from knowledge.store import articles_store, units_store

PASSAGE_CHARS = 600
_splitter = RecursiveCharacterTextSplitter(chunk_size=PASSAGE_CHARS, chunk_overlap=80)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    texts_embedded: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        return (
            f"added {len(self.added)}, updated {len(self.updated)}, removed {len(self.removed)}, "
            f"unchanged {self.unchanged}, texts embedded {self.texts_embedded}"
        )


@dataclass(frozen=True)
class Unit:
    id: str
    text: str
    metadata: dict[str, str | bool]


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


def article_metadata(article: Article) -> dict[str, str | bool]:
    return {
        "title": article.title,
        "lang": article.lang,
        "handoff": article.handoff,
        "content_hash": article.content_hash,
        "source": article.source,
        "questions": "\n".join(article.questions),
    }


def ingest(
    articles: list[Article],
    client: ClientAPI,
    collection_name: str,
    embeddings: Embeddings,
    show_progress: bool = True,
    batch_articles: int = 32,
) -> IngestReport:
    """Make the index hold exactly `articles`; re-embed only what changed."""
    units = units_store(client, collection_name, embeddings)
    records = articles_store(client, collection_name, embeddings)
    existing = records.get(include=["metadatas"])
    known = {rid: meta.get("content_hash") for rid, meta in zip(existing["ids"], existing["metadatas"])}

    report = IngestReport()
    wanted = {article.id for article in articles}
    stale = [article_id for article_id in known if article_id not in wanted]
    to_write = [article for article in articles if known.get(article.id) != article.content_hash]
    report.unchanged = len(articles) - len(to_write)

    for article_id in stale + [a.id for a in to_write if a.id in known]:
        units.delete(where={"article_id": article_id})  # type: ignore[arg-type]
        records.delete(ids=[article_id])
    report.removed = stale

    with tqdm(total=len(to_write), desc="embedding articles", unit="article", disable=not show_progress) as bar:
        for start in range(0, len(to_write), batch_articles):
            batch = to_write[start : start + batch_articles]
            batch_units = [unit for article in batch for unit in units_of(article)]
            units.add_texts(
                texts=[u.text for u in batch_units],
                metadatas=[u.metadata for u in batch_units],
                ids=[u.id for u in batch_units],
            )
            records.add_texts(
                texts=[f"{a.title}\n\n{a.body}" for a in batch],
                metadatas=[article_metadata(a) for a in batch],
                ids=[a.id for a in batch],
            )
            report.texts_embedded += len(batch_units) + len(batch)
            for article in batch:
                (report.updated if article.id in known else report.added).append(article.id)
            bar.update(len(batch))
    return report
