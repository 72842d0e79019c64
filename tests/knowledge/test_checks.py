"""Duplicate detection, and how regressions read; the regression suite itself runs in test_publishing."""
from __future__ import annotations

import numpy as np

from knowledge.articles import Article
from knowledge.publishing.checks import DuplicateKind, Regression, RegressionKind, find_duplicates


def _article(article_id: str, body: str, lang: str = "en", questions: tuple[str, ...] = ()) -> Article:
    return Article(id=article_id, title=article_id, lang=lang, body=body, questions=questions)


def _unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_near_duplicates_same_answers_and_shared_questions_are_flagged() -> None:
    delivery = _article("delivery", "Two working days.", questions=("how long is delivery", "is delivery free"))
    shipping = _article("shipping", "Delivery takes two working days.", questions=("How long is delivery?",))
    copy = _article("copy", "two  working days.")
    other = _article("roaming", "Roaming is included in the EU.")
    vectors = {
        delivery.content_hash: _unit(1, 0, 0),
        shipping.content_hash: _unit(1, 0.2, 0),  # cosine 0.98
        copy.content_hash: _unit(0, 1, 0),  # same answer, different embedding
        other.content_hash: _unit(0, 0, 1),
    }
    found = find_duplicates([delivery, shipping, copy, other], vectors)
    kinds = {(d.first, d.second, d.kind) for d in found}
    assert kinds == {
        ("delivery", "shipping", DuplicateKind.NEAR_DUPLICATE),
        ("copy", "delivery", DuplicateKind.SAME_ANSWER),
        ("delivery", "shipping", DuplicateKind.SHARED_QUESTION),
    }
    shared = next(d for d in found if d.kind is DuplicateKind.SHARED_QUESTION)
    assert shared.shared_questions == ["How long is delivery?"]
    assert str(shared) == 'delivery and shipping share question variants: "How long is delivery?"'


def test_only_pairs_touching_the_changed_articles_are_flagged_and_languages_are_apart() -> None:
    a, b, c = _article("a", "Same."), _article("b", "Same."), _article("c", "Same.", lang="fr")
    vectors = {x.content_hash: _unit(1, 0) for x in (a, b, c)}
    assert find_duplicates([a, b, c], vectors, focus={"c"}) == []
    assert [(d.first, d.second) for d in find_duplicates([a, b, c], vectors, focus={"b"})] == [("a", "b")]


def test_a_regression_says_what_the_bot_would_do_instead() -> None:
    moved = Regression("delivery", "is delivery free", "en", "answer", "shipping", None, 0.9)
    dropped = Regression("delivery", "is delivery free", "en", "decline", None, "low_confidence", 0.6)
    assert moved.kind is RegressionKind.ANSWERED_FROM_ANOTHER
    assert str(moved) == 'delivery: "is delivery free" would be answered from shipping'
    assert dropped.kind is RegressionKind.NO_LONGER_ANSWERED
    assert str(dropped) == 'delivery: "is delivery free" would decline (low_confidence)'
