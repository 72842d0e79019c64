from pathlib import Path

import pytest

from knowledge.articles import ArticleError, load_folder, parse_article
from knowledge.settings import SAMPLE_KB

GOOD = """---
id: shop/track-order
title: "Track an order"
lang: en
questions:
  - "where is my parcel"
---
Open **My orders**.
"""


def test_a_valid_article_parses_with_its_variants() -> None:
    article = parse_article(GOOD, source="a.md")
    assert (article.id, article.lang, article.handoff) == ("shop/track-order", "en", False)
    assert article.questions == ("where is my parcel",)
    assert article.body == "Open **My orders**."


def test_content_hash_changes_with_the_answer_only_when_it_changes() -> None:
    same = parse_article(GOOD)
    changed = parse_article(GOOD.replace("My orders", "Mes commandes"))
    assert parse_article(GOOD).content_hash == same.content_hash
    assert changed.content_hash != same.content_hash


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("no front matter at all", 1, "front matter"),
        ("---\nid: x\ntitle: [unclosed\nlang: en\n---\nbody\n", 4, "not valid YAML"),
        ("---\ntitle: \"T\"\nlang: en\n---\nbody\n", 2, "'id' is required"),
        ("---\nid: a\ntitle: \"T\"\nlang: english\n---\nbody\n", 4, "two-letter"),
        ("---\nid: a\ntitle: \"T\"\nlang: en\nhandoff: maybe\n---\nbody\n", 5, "true or false"),
        ("---\nid: a\ntitle: \"T\"\nlang: en\nquestions: 3\n---\nbody\n", 5, "list of non-empty strings"),
        ("---\nid: a\ntitle: \"T\"\nlang: en\n---\n\n  \n", 6, "no answer text"),
    ],
)
def test_a_malformed_article_is_reported_with_its_line(text: str, line: int, words: str) -> None:
    with pytest.raises(ArticleError) as caught:
        parse_article(text)
    assert caught.value.line == line
    assert words in str(caught.value)


def test_bad_files_are_skipped_and_reported_while_the_rest_loads(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "clash.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "empty.md").write_text('---\nid: x\ntitle: "X"\nlang: en\n---\n', encoding="utf-8")
    (tmp_path / "binary.md").write_bytes(b"\xff\xfe\x00garbage")
    loaded = load_folder(tmp_path)
    assert [a.id for a in loaded.articles] == ["shop/track-order"]
    problems = {Path(p.path).name: p for p in loaded.problems}
    assert set(problems) == {"good.md", "empty.md", "binary.md"}  # sorted: clash.md loads first
    assert "duplicate id 'shop/track-order'" in problems["good.md"].message
    assert "clash.md" in problems["good.md"].message
    assert "no answer text" in problems["empty.md"].message
    assert str(problems["empty.md"]).startswith(str(tmp_path / "empty.md") + ":")


def test_the_sample_help_centre_is_bilingual_and_has_sensitive_topics() -> None:
    loaded = load_folder(SAMPLE_KB)
    assert loaded.problems == []
    assert len(loaded.articles) >= 30
    langs = {a.lang for a in loaded.articles}
    assert langs == {"en", "fr"}
    assert sum(a.handoff for a in loaded.articles) >= 3
    assert all(len(a.questions) >= 5 for a in loaded.articles)
