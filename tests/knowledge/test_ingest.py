"""Ingestion against a real (embedded) Chroma."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge.articles import load_folder
from knowledge.embeddings import make_embeddings
from knowledge.index.ingest import ingest
from knowledge.answering.service import KnowledgeService
from knowledge.settings import SAMPLE_KB, KnowledgeSettings
from knowledge.store import UNITS_SUFFIX, make_client, raw_collection


@pytest.fixture()
def kb_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    shutil.copytree(SAMPLE_KB, folder)
    return folder


def _ingest(folder: Path, settings: KnowledgeSettings):  # type: ignore[no-untyped-def]
    loaded = load_folder(folder)
    report = ingest(loaded.articles, make_client(settings), settings.collection_name, make_embeddings(settings), show_progress=False)
    return loaded, report


def test_reingesting_an_unchanged_folder_embeds_nothing(kb_copy: Path, tmp_path: Path) -> None:
    settings = KnowledgeSettings(chroma_path=tmp_path / "chroma")
    loaded, first = _ingest(kb_copy, settings)
    assert len(first.added) == len(loaded.articles) and first.texts_embedded > len(loaded.articles)
    _, second = _ingest(kb_copy, settings)
    assert (second.texts_embedded, second.added, second.updated, second.removed) == (0, [], [], [])
    assert second.unchanged == len(loaded.articles)


def test_only_changed_articles_are_reembedded_and_deleted_ones_leave(kb_copy: Path, tmp_path: Path) -> None:
    settings = KnowledgeSettings(chroma_path=tmp_path / "chroma")
    _ingest(kb_copy, settings)
    changed = kb_copy / "en" / "track-order.md"
    changed.write_text(changed.read_text(encoding="utf-8").replace("---\n", "---\n", 1) + "\nUpdated line.\n", encoding="utf-8")
    (kb_copy / "fr" / "track-order.md").unlink()
    _, report = _ingest(kb_copy, settings)
    assert report.updated == ["lumen/track-order-en"]
    assert report.removed == ["lumen/track-order-fr"]
    assert report.added == []
    units = raw_collection(make_client(settings), settings.collection_name, UNITS_SUFFIX)
    assert units.get(where={"article_id": "lumen/track-order-fr"})["ids"] == []
    assert len(units.get(where={"article_id": "lumen/track-order-en"})["ids"]) > 5


def test_a_malformed_article_is_skipped_and_the_others_still_answer(kb_copy: Path, tmp_path: Path) -> None:
    broken = kb_copy / "en" / "reset-password.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("lang: en", "lang: [en"), encoding="utf-8")
    settings = KnowledgeSettings(chroma_path=tmp_path / "chroma")
    loaded, report = _ingest(kb_copy, settings)
    assert [Path(p.path).name for p in loaded.problems] == ["reset-password.md"]
    assert loaded.problems[0].line == 5  # where YAML noticed the unclosed bracket opened on line 4
    assert "not valid YAML" in loaded.problems[0].message and "line 4" in loaded.problems[0].message
    assert "lumen/reset-password-en" not in report.added
    decision = KnowledgeService(settings).decide("how can I follow my parcel, where is my order?", "en")
    assert (decision.outcome.value, decision.article) == ("answer", "lumen/track-order-en")
