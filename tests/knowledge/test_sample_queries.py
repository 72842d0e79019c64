"""The sample help centre's query sets (knowledge/sample_queries) are well formed and name real articles."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from knowledge.articles import load_folder
from knowledge.settings import SAMPLE_KB

QUERIES = SAMPLE_KB.parent / "sample_queries"
REASONS = {"escalate": {"sensitive", "customer_request", "complaint"}, "no_answer": {"out_of_scope"}}


def _rows(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("name", ["dev.jsonl", "heldout.jsonl"])
def test_every_query_names_an_answerable_article_in_its_language_or_a_valid_reason(name: str) -> None:
    articles = {a.id: a for a in load_folder(SAMPLE_KB).articles}
    rows = _rows(QUERIES / name)
    assert len({r["id"] for r in rows}) == len(rows), "ids are unique"
    for row in rows:
        expected = row["expected"]
        if expected in REASONS:
            assert row.get("reason") in REASONS[expected], row
        else:
            article = articles[expected]
            assert article.lang == row["lang"], row
            assert not article.handoff, f"{row['id']}: a sensitive article's questions expect an escalation"
    assert Counter(r["lang"] for r in rows) == {"en": len(rows) // 2, "fr": len(rows) // 2}


def test_the_held_out_set_shares_no_question_with_the_dev_set() -> None:
    dev = {r["text"].strip().lower() for r in _rows(QUERIES / "dev.jsonl")}
    assert not dev & {r["text"].strip().lower() for r in _rows(QUERIES / "heldout.jsonl")}
