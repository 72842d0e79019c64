"""Unanswered questions in a real Redis, clustered with the real embeddings, turned into articles."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis

from knowledge.articles import parse_article
from knowledge.embeddings import make_embeddings
from knowledge.publishing.publish import publish
from knowledge.answering.service import build_engine
from knowledge.settings import KnowledgeSettings
from knowledge.sources import DRAFT_PLACEHOLDER, load_sources
from knowledge.unanswered.clustering import Cluster, clusters, mark_handled
from knowledge.unanswered.drafting import add_questions_to_article, draft_from_cluster
from knowledge.unanswered.events import (
    STREAM,
    UnansweredOutcome,
    UnansweredStore,
    record_unanswered,
    suggest_article_from_agent_reply,
)
from tests.knowledge.helpers import PublishedKb, cli

# Not "can I pay with a gift card": a five-article base answers it from failed-payment (0.30 at a
# 0.29 threshold), a known weakness of self-calibration on tiny bases.
GIFT = ["can I buy a gift card", "do you sell gift cards", "how do I use a gift card online", "gift card balance"]
WATCH = ["does my esim work on a smartwatch", "can I use an esim on my apple watch", "smartwatch esim"]
CARTE = ["puis-je payer avec une carte cadeau", "carte cadeau en ligne", "où acheter une carte cadeau"]


@pytest.fixture
def client(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(redis_url, decode_responses=True)


@pytest.fixture(scope="module")
def embeddings():  # type: ignore[no-untyped-def]
    return make_embeddings(KnowledgeSettings())


def _record_all(client: redis.Redis) -> None:
    for number, question in enumerate(GIFT):
        record_unanswered(client, question, "en", "decline", "out_of_scope", f"conv-g{number}")
    record_unanswered(client, "gift card balance", "en", "escalate", "customer_request", "conv-g9")
    suggest_article_from_agent_reply(
        client, "can I buy a gift card?", "Yes: gift cards are accepted online and in our shops for 12 months.",
        "en", agent="ana", conversation_id="conv-g5",
    )
    for question in WATCH:
        record_unanswered(client, question, "en", "unhelpful", None, "conv-w", article="lumen/activate-sim-esim-en")
    for question in CARTE:
        record_unanswered(client, question, "fr", "decline", "low_confidence", "conv-c")


def test_events_are_stored_newest_first_and_blank_questions_are_ignored(client: redis.Redis) -> None:
    first = record_unanswered(client, "  can I buy a gift card  ", "en", "decline", "out_of_scope", "c1")
    assert record_unanswered(client, "   ", "en", "decline", "empty_question", "c1") is None
    second = record_unanswered(client, "gift card balance", "en", UnansweredOutcome.UNHELPFUL, None, "c2",
                               article="lumen/understand-bill-en")
    events = UnansweredStore(client).events()
    assert [e.id for e in events] == [second, first]
    assert (events[1].question, events[1].lang, events[1].outcome, events[1].reason, events[1].conversation_id) == (
        "can I buy a gift card", "en", UnansweredOutcome.DECLINE, "out_of_scope", "c1",
    )
    assert events[0].article == "lumen/understand-bill-en"
    assert client.xlen(STREAM) == 2
    with pytest.raises(ValueError):
        record_unanswered(client, "hello", "en", "answered", None, "c3")


def test_a_client_without_decoded_responses_works_too(redis_url: str) -> None:
    raw = redis.Redis.from_url(redis_url)
    record_unanswered(raw, "où est ma commande", "fr", "decline", "low_confidence", "c1")
    (event,) = UnansweredStore(raw).events()
    assert (event.question, event.lang) == ("où est ma commande", "fr")


def test_similar_questions_are_clustered_with_counts_language_and_examples_newest_first(
    client: redis.Redis, embeddings
) -> None:  # type: ignore[no-untyped-def]
    _record_all(client)
    found = clusters(client, embeddings)
    assert [(c.lang, c.count) for c in found] == [("fr", 3), ("en", 3), ("en", 6)]  # newest first
    carte, watch, gift = found
    assert carte.examples == list(reversed(CARTE))
    assert watch.outcomes == {"unhelpful": 3} and watch.unhelpful_articles == {"lumen/activate-sim-esim-en": 3}
    assert gift.outcomes == {"decline": 4, "escalate": 1, "suggested": 1}
    # Asked twice each; the same question written two ways is shown as last written.
    assert gift.questions[0] in ("gift card balance", "can I buy a gift card?")
    assert {q.rstrip("?") for q in gift.questions} == set(GIFT)
    assert gift.suggested_answers == ["Yes: gift cards are accepted online and in our shops for 12 months."]
    assert len(gift.conversations) == 6

    mark_handled(client, watch)
    assert [c.key for c in clusters(client, embeddings)] == [carte.key, gift.key]


def test_sensitive_topics_handed_over_by_design_are_not_listed_as_unanswered(client: redis.Redis, embeddings) -> None:  # type: ignore[no-untyped-def]
    # Recorded before the action server left them out; still in the stream for up to its retention.
    for number in range(3):
        record_unanswered(client, "my phone was stolen", "en", "escalate", "sensitive", f"s{number}")
        record_unanswered(client, "my phone was stolen, can I block it", "en", "escalate", "customer_request", f"r{number}")
    found = clusters(client, embeddings)
    assert [(c.count, c.outcomes) for c in found] == [(3, {"escalate": 3})]
    assert "my phone was stolen" not in found[0].questions


def _cluster(questions: list[str], answer: str | None = None) -> Cluster:
    return Cluster(
        key="1-0", lang="en", count=len(questions), title=questions[0], examples=questions, questions=questions,
        newest_ms=int(time.time() * 1000), outcomes={"decline": len(questions)},
        suggested_answers=[answer] if answer else [],
    )


def test_a_cluster_becomes_an_article_draft_in_the_shared_format(tmp_path: Path) -> None:
    draft = draft_from_cluster(_cluster(GIFT, "Gift cards are accepted online."))
    article = parse_article(draft.markdown)
    assert (article.id, article.title, article.lang) == ("drafts/can-i-buy-a-gift-card-en", "Can I buy a gift card", "en")
    assert article.questions == tuple(GIFT) and article.body == "Gift cards are accepted online."
    assert not draft.needs_answer and draft.file_name == "drafts-can-i-buy-a-gift-card-en.md"

    unwritten = draft_from_cluster(_cluster(GIFT), article_id="shop/gift-cards", title="Gift cards")
    assert unwritten.needs_answer and DRAFT_PLACEHOLDER in unwritten.markdown
    (tmp_path / "gift.md").write_text(unwritten.markdown, encoding="utf-8")
    (problem,) = load_sources([tmp_path]).problems  # publishing refuses it until the answer is written
    assert "placeholder" in problem.message


def test_a_clusters_questions_can_be_added_to_an_existing_article() -> None:
    existing = parse_article('---\nid: shop/gift\ntitle: "Gift cards"\nlang: en\nquestions: ["gift card balance"]\n---\nValid 12 months.\n')
    draft = add_questions_to_article(_cluster(GIFT), existing)
    article = parse_article(draft.markdown)
    assert article.questions == ("gift card balance", *[q for q in GIFT if q != "gift card balance"])
    assert (article.id, article.body) == ("shop/gift", "Valid 12 months.")


def test_declined_questions_become_an_article_the_bot_then_answers_from(
    small_kb: PublishedKb, client: redis.Redis, redis_url: str
) -> None:
    engine = build_engine(small_kb.client, small_kb.settings)
    for number, question in enumerate(GIFT):
        decision = engine.decide(question, "en")
        assert decision.outcome.value == "decline"
        record_unanswered(client, question, decision.lang, decision.outcome.value, decision.reason, f"conv-{number}")
    suggest_article_from_agent_reply(
        client, GIFT[0], "Gift cards are valid for 12 months and accepted online and in our shops.", "en", "ana"
    )

    listed = cli("unanswered", "--clusters", chroma=small_kb.chroma, redis_url=redis_url)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert "1. [en] " in listed.stdout and "(5 asked; decline 4, suggested 1;" in listed.stdout
    written = cli("draft-from-cluster", "1", "--out", str(small_kb.folder), chroma=small_kb.chroma, redis_url=redis_url)
    assert written.returncode == 0, written.stderr[-2000:]
    (draft_file,) = [p for p in small_kb.folder.glob("drafts-*.md")]
    draft = parse_article(draft_file.read_text(encoding="utf-8"))
    assert set(draft.questions) == set(GIFT)
    assert UnansweredStore(client).events() == []  # handled: off the list

    result = publish([small_kb.folder], author="content", confirm=True, settings=small_kb.settings)
    assert result.diff.added == [draft.id]
    answered = build_engine(small_kb.client, small_kb.settings).decide(GIFT[0], "en")
    assert (answered.outcome.value, answered.article) == ("answer", draft.id)
    assert answered.text == "Gift cards are valid for 12 months and accepted online and in our shops."
