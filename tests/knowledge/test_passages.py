"""Which part of an article a reply shows first: urgent steps, and the passage that answers."""
from __future__ import annotations

import numpy as np
import pytest

from knowledge.answering.engine import KnowledgeEngine
from knowledge.answering.passages.excerpts import LONG_ARTICLE_WORDS, answering_passage, is_long, urgent_steps, word_count
from knowledge.articles import Article
from knowledge.index.snapshot import KnowledgeSnapshot

STEPS_BODY = """Act quickly so nobody can use your line:

1. **Block your SIM** or call **+33 1 99 00 07 00** (24/7).
2. Report the theft to the police.

Also lock the phone remotely."""


def article(body: str, lang: str = "en", article_id: str = "a") -> Article:
    return Article(id=article_id, title="Title", lang=lang, body=body, handoff=True)


def test_urgent_steps_are_the_first_numbered_list_with_the_sentence_that_introduces_it() -> None:
    assert urgent_steps(article(STEPS_BODY)) == (
        "Act quickly so nobody can use your line:\n\n"
        "1. **Block your SIM** or call **+33 1 99 00 07 00** (24/7).\n"
        "2. Report the theft to the police.")


def test_a_numbered_list_outranks_an_earlier_bulleted_one() -> None:
    body = "Signs:\n\n- no service\n- odd emails\n\nDo this:\n\n1. Call us.\n2. Call your bank.\n\nMore text."
    assert urgent_steps(article(body)) == "Do this:\n\n1. Call us.\n2. Call your bank."


def test_without_a_numbered_list_the_first_bulleted_list_and_without_any_list_the_first_paragraph() -> None:
    body = "We will look into it.\n\n- **Premium SMS**: block them.\n- **Phishing**: ignore it.\n\nRefunds follow."
    assert urgent_steps(article(body)) == "We will look into it.\n\n- **Premium SMS**: block them.\n- **Phishing**: ignore it."
    assert urgent_steps(article("Compromised card.")) == "Compromised card."
    assert urgent_steps(article("Call us now.\nWe answer 24/7.\n\nOther details.")) == "Call us now.\nWe answer 24/7."


def test_a_list_at_the_start_has_no_introduction() -> None:
    assert urgent_steps(article("1. Call us.\n2. Call your bank.\n\nLater: change passwords.")) == "1. Call us.\n2. Call your bank."


def test_long_means_more_words_than_the_widget_shows_at_once() -> None:
    assert word_count("Keep your number: 2 working days.") == 6
    assert not is_long(article(" ".join(["word"] * LONG_ARTICLE_WORDS)))
    assert is_long(article(" ".join(["word"] * (LONG_ARTICLE_WORDS + 1))))


def snapshot_of_passages(body: str, passages: list[str], vectors: list[list[float]]) -> KnowledgeSnapshot:
    units = len(passages) + 1
    return KnowledgeSnapshot(
        articles={"a": article(body)},
        unit_article=["a"] * units,
        unit_kind=["title", *["passage"] * len(passages)],
        unit_text=["Title", *passages],
        unit_vectors=np.asarray([[0.0, 0.0, 1.0], *vectors], dtype=np.float32),
        version="test",
    )


FILLER = " ".join(["filler"] * LONG_ARTICLE_WORDS)
LONG_BODY = f"- **New SIM**: enter the PIN code.\n- **Keeping your number**: the transfer takes 2 working days.\n\nMore: {FILLER}"
# As the splitter may cut them: the second passage stops mid-line, the third starts mid-line.
PASSAGES = ["- **New SIM**: enter the PIN code.", "- **Keeping your number**: the transfer",
            f"takes 2 working days.\n\nMore: {FILLER}"]


def test_the_passage_closest_to_the_question_is_shown_widened_to_whole_lines() -> None:
    snapshot = snapshot_of_passages(LONG_BODY, PASSAGES, [[1, 0, 0], [0, 1, 0], [0.6, 0.8, 0]])
    shown = answering_passage(snapshot, "a", "can I keep my number?", np.asarray([0.1, 1.0, 0.0]))
    assert shown == "- **Keeping your number**: the transfer takes 2 working days."


def test_the_question_words_break_a_tie_between_passages_the_model_scores_alike() -> None:
    snapshot = snapshot_of_passages(LONG_BODY, PASSAGES, [[0.8, 0.6, 0], [0.8, 0.6, 0], [0, 0, 1]])
    vector = np.asarray([0.8, 0.6, 0.0])
    assert answering_passage(snapshot, "a", "what is the PIN code", vector).startswith("- **New SIM**")
    assert answering_passage(snapshot, "a", "keeping my number", vector).startswith("- **Keeping your number**")


def test_the_model_outranks_the_words_when_it_clearly_prefers_a_passage() -> None:
    snapshot = snapshot_of_passages(LONG_BODY, PASSAGES, [[1, 0, 0], [0.9, 0.436, 0], [0, 0, 1]])
    shown = answering_passage(snapshot, "a", "keeping my number", np.asarray([1.0, 0.0, 0.0]))
    assert shown is not None and shown.startswith("- **New SIM**")


def test_a_short_article_a_single_passage_or_an_unknown_article_is_shown_whole() -> None:
    short = snapshot_of_passages("Short body.\n\nSecond part.", ["Short body.", "Second part."], [[1, 0, 0], [0, 1, 0]])
    assert answering_passage(short, "a", "second", np.asarray([0.0, 1.0, 0.0])) is None
    single = snapshot_of_passages(LONG_BODY, [LONG_BODY], [[1, 0, 0]])
    assert answering_passage(single, "a", "number", np.asarray([1.0, 0.0, 0.0])) is None
    assert answering_passage(single, "missing", "number", np.asarray([1.0, 0.0, 0.0])) is None


def test_a_passage_that_is_most_of_the_article_is_not_worth_cutting_it_for() -> None:
    snapshot = snapshot_of_passages(LONG_BODY, PASSAGES, [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert answering_passage(snapshot, "a", "more filler", np.asarray([0.0, 0.0, 1.0])) is None


@pytest.mark.parametrize(("article_id", "question", "expected"), [
    ("lumen/activate-sim-esim-en", "can i keep my number if I switch to you", "**Keeping your number**"),
    ("lumen/activate-sim-esim-en", "what is the PIN of my new SIM card", "**New SIM card**"),
    ("lumen/activate-sim-esim-fr", "est-ce que je garde mon numéro si je change d'opérateur", "**Garder votre numéro**"),
    ("lumen/activate-sim-esim-fr", "comment scanner le QR code de mon eSIM", "**eSIM**"),
])
def test_the_sample_help_centre_answers_a_detail_with_its_passage(
        sample_engine: KnowledgeEngine, article_id: str, question: str, expected: str) -> None:
    shown = answering_passage(sample_engine.snapshot, article_id, question, sample_engine.embed([question])[0])
    assert shown is not None and shown.startswith(f"- {expected}")
    assert shown in sample_engine.snapshot.articles[article_id].body
