"""The sensitive topics the content team lists: matching, and reloading when the file changes."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from knowledge.answering.sensitive_topics import SensitiveTopics, SensitiveTopicsError, SensitiveTopicsFile, apply_topic_rule
from knowledge.contract import Decision, EscalationReason, Outcome, Source
from knowledge.settings import SENSITIVE_TOPICS, KnowledgeSettings

SAMPLE = """
topics:
  stolen_card:
    en: [stolen|lost card]
    fr: ["carte =volée|perdue", "=volé|perdu ma carte"]
  legal_threat:
    en: [take you to court]
    fr: [avocat]
"""


@pytest.fixture(scope="module")
def shipped() -> SensitiveTopics:
    return SensitiveTopics.load(SENSITIVE_TOPICS)


def test_the_shipped_list_covers_each_topic_in_english_and_french(shipped: SensitiveTopics) -> None:
    assert {"fraud", "stolen_or_lost_card", "stolen_or_lost_phone", "bereavement", "legal_threat", "harassment"} <= set(shipped.topics)
    for topic in shipped.topics:
        assert {p.lang for p in shipped.phrases if p.topic == topic} == {"en", "fr"}, topic


# topic: (text, lang) that must match it
LISTED = {
    "stolen_or_lost_card": [
        ("Ma carte bancaire a été VOLEE hier", "fr"), ("my credit card was stolen", "en"),
        ("I cant find my card.", "en"), ("help, my wallet is missing", "en"), ("je ne retrouve plus ma carte", "fr"),
    ],
    "stolen_or_lost_phone": [("on m'a volé mon téléphone dans le métro", "fr"), ("I lost my phone on the train", "en")],
    "fraud": [("there is a payment I didn't make on my bill", "en"), ("c'est une ARNAQUE", "fr")],
    "bereavement": [("my father died last week", "en"), ("mon mari est décédé", "fr")],
    "legal_threat": [("I will take you to court", "en")],
    "harassment": [("je reçois des appels malveillants", "fr")],
    "account_takeover": [("my account was hacked", "en")],
}


@pytest.mark.parametrize(
    ("text", "lang", "topic"), [(text, lang, topic) for topic, examples in LISTED.items() for text, lang in examples]
)
def test_a_listed_phrase_matches_whatever_the_case_accents_and_endings(shipped: SensitiveTopics, text: str, lang: str, topic: str) -> None:
    match = shipped.match(text, lang)
    assert match is not None and match.topic == topic


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("my battery died this morning", "en"),
        ("I lost my password", "en"),
        ("how do I activate my eSIM?", "en"),
        ("j'ai un vol demain, mon téléphone marchera-t-il ?", "fr"),  # "vol": a flight
        ("mon paiement par carte a été refusé", "fr"),
        ("un message court", "fr"),  # "court" is an English phrase word only
        ("where can I find my card number?", "en"),
        ("I can't find my card's PIN", "en"),
        ("i cant find my card number in the app", "en"),
        ("je ne retrouve plus ma carte code pin oublié", "fr"),
    ],
)
def test_everyday_questions_are_not_sensitive(shipped: SensitiveTopics, text: str, lang: str) -> None:
    assert shipped.match(text, lang) is None


def test_words_must_come_in_order_and_close_together() -> None:
    topics = SensitiveTopics.from_yaml(SAMPLE)
    assert topics.match("my card was stolen", "en") is None  # "stolen card" is written the other way round
    assert topics.match("a stolen credit card", "en") is not None
    assert topics.match("they will take you, my dear friend, to court", "en") is None  # more than two words apart
    assert topics.match("they will take you, my friend, to court", "en") is not None
    assert topics.match("j'ai perdu ma carte", "fr") is not None
    assert topics.match("je prends un vol avec ma carte d'embarquement", "fr") is None  # "=volé" is that word only


def test_a_last_word_written_with_an_exclamation_mark_must_not_follow_the_phrase() -> None:
    topics = SensitiveTopics.from_yaml("topics:\n  lost_card:\n    en: ['find my card !pin|number']\n")
    assert topics.match("I can't find my card", "en") is not None
    assert topics.match("I can't find my card anywhere, please block it", "en") is not None
    assert topics.match("I can't find my card's PIN", "en") is None
    assert topics.match("can't find my card number", "en") is None
    with pytest.raises(SensitiveTopicsError, match="last word"):
        SensitiveTopics.from_yaml("topics:\n  lost_card:\n    en: ['find !pin my card']\n")


def test_without_a_language_every_language_is_tried() -> None:
    topics = SensitiveTopics.from_yaml(SAMPLE)
    assert topics.match("je vais prendre un avocat").topic == "legal_threat"  # type: ignore[union-attr]
    assert topics.match("je vais prendre un avocat", "en") is None


@pytest.mark.parametrize("text", ["topics: [a, b]", "topics:\n  x: [a]\n", "topics:\n  x:\n    en: nothing\n", "topics:\n  x:\n    en: ['?!']\n", ": :"])
def test_a_malformed_file_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(SensitiveTopicsError):
        SensitiveTopics.from_yaml(text)


def _rewrite(path: Path, text: str) -> None:
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))  # a visibly newer file


def test_the_file_is_read_again_when_it_changes_and_a_broken_edit_keeps_the_old_list(tmp_path: Path) -> None:
    path = tmp_path / "topics.yml"
    _rewrite(path, SAMPLE)
    topics = SensitiveTopicsFile(path)
    assert topics.match("a lost card", "en").topic == "stolen_card"  # type: ignore[union-attr]
    _rewrite(path, "topics:\n  bereavement:\n    en: [passed away]\n    fr: [décès]\n")
    assert topics.match("my mother passed away", "en").topic == "bereavement"  # type: ignore[union-attr]
    assert topics.match("a lost card", "en") is None
    _rewrite(path, "topics: [oops")
    assert topics.match("my mother passed away", "en").topic == "bereavement"  # type: ignore[union-attr]


def test_the_path_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert KnowledgeSettings().sensitive_topics_path == SENSITIVE_TOPICS
    monkeypatch.setenv("SENSITIVE_TOPICS_PATH", str(tmp_path / "topics.yml"))
    assert KnowledgeSettings().sensitive_topics_path == tmp_path / "topics.yml"


def test_a_question_naming_a_topic_is_handed_over_whatever_the_knowledge_base_said(shipped: SensitiveTopics) -> None:
    """The one rule the action server and `make eval` apply after the knowledge base's decision."""
    answer = Decision(Outcome.ANSWER, "Block it in the app.", "en", article="lumen/block-card-en", confidence=0.9,
                      sources=[Source("lumen/block-card-en", "Block a card", 0.9)])
    handed_over, topic = apply_topic_rule(shipped, "someone stole my card, how do I block it?", answer, "en")
    assert topic is not None and topic.topic == "stolen_or_lost_card"
    assert handed_over.outcome is Outcome.ESCALATE and handed_over.reason == EscalationReason.SENSITIVE.value
    assert handed_over.sources == answer.sources  # the advisor still sees what the bot found
    unchanged, no_topic = apply_topic_rule(shipped, "how do I block my card?", answer, "en")
    assert no_topic is None and unchanged is answer
