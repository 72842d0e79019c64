"""Follow-up questions read with the conversation's last question (knowledge/answering/followups.py),
on the sample help centre in a real Chroma index."""
from __future__ import annotations

import pytest

from knowledge.answering.engine import KnowledgeEngine
from knowledge.answering.followups import (
    ContextualDecision, TurnContext, decide_in_context, next_context, points_back, reads_as_follow_up,
)
from knowledge.contract import Decision, Outcome, Source

ROAMING_EN = "how much is roaming in the US"
ROAMING_FR = "combien coûte l'itinérance aux États-Unis"


@pytest.mark.parametrize(
    "text",
    ["and in Canada?", "et au Canada ?", "is it free?", "my email too", "what about by paypal?",
     "et si la boîte est ouverte ?", "et ça coûte combien ?", "Canada"],
)
def test_a_turn_with_a_topic_word_and_a_cue_or_only_a_few_words_may_be_a_follow_up(text: str) -> None:
    assert reads_as_follow_up(text)


@pytest.mark.parametrize(
    "text",
    ["thanks", "merci", "hello?", "ok", "no thanks", "non merci", "yes please", "oui d'accord", "",
     "where can I find the invoice for last month subscription payment"],
)
def test_small_talk_and_long_questions_without_a_cue_are_not_follow_ups(text: str) -> None:
    assert not reads_as_follow_up(text)


def test_only_a_cue_points_back_a_short_turn_alone_does_not() -> None:
    assert points_back("and in Canada?") and points_back("et si la boîte est ouverte ?") and points_back("is it free?")
    assert not points_back("Canada")
    assert not points_back("and thanks")  # a cue, but no topic word


# -- decide_in_context, on the sample help centre ----------------------------------------------


@pytest.mark.parametrize(
    ("question", "turn", "article"),
    [
        (ROAMING_EN, "and in Canada?", "lumen/roaming-abroad-en"),
        (ROAMING_EN, "is it free?", "lumen/roaming-abroad-en"),
        (ROAMING_FR, "et au Canada ?", "lumen/roaming-abroad-fr"),
        ("how long does delivery take", "and how much does it cost?", "lumen/delivery-times-costs-en"),
        ("combien de temps prend la livraison", "et ça coûte combien ?", "lumen/delivery-times-costs-fr"),
        ("how do I change my address", "my email too", "lumen/update-personal-details-en"),
        ("comment retourner mon téléphone", "et si la boîte est ouverte ?", "lumen/return-withdrawal-fr"),
    ],
)
def test_a_follow_up_is_answered_from_the_last_question_s_article(
    sample_engine: KnowledgeEngine, question: str, turn: str, article: str
) -> None:
    first = sample_engine.decide(question)
    assert (first.outcome, first.article) == (Outcome.ANSWER, article)
    assert sample_engine.decide(turn, first.lang).outcome is Outcome.DECLINE  # alone, it makes no sense
    understood = decide_in_context(sample_engine, turn, first.lang, TurnContext(question, first.article))
    assert (understood.decision.outcome, understood.decision.article, understood.follow_up) == (Outcome.ANSWER, article, True)
    assert understood.understood_as.startswith(question) and understood.understood_as.endswith(turn)


def test_without_a_context_a_turn_is_decided_alone(sample_engine: KnowledgeEngine) -> None:
    understood = decide_in_context(sample_engine, "and in Canada?", "en", None)
    assert (understood.decision.outcome, understood.follow_up, understood.understood_as) == (Outcome.DECLINE, False, "and in Canada?")


@pytest.mark.parametrize(
    ("question", "turn", "article"),
    [
        (ROAMING_EN, "how do I reset my password", "lumen/reset-password-en"),
        (ROAMING_FR, "comment réinitialiser mon mot de passe", "lumen/reset-password-fr"),
        (ROAMING_EN, "how do I activate my esim", "lumen/activate-sim-esim-en"),
    ],
)
def test_a_complete_new_question_stands_on_its_own(
    sample_engine: KnowledgeEngine, question: str, turn: str, article: str
) -> None:
    understood = decide_in_context(sample_engine, turn, None, TurnContext(question, "lumen/roaming-abroad-en"))
    assert (understood.decision.article, understood.follow_up, understood.understood_as) == (article, False, turn)


@pytest.mark.parametrize(("question", "turn"), [(ROAMING_EN, "thanks"), (ROAMING_EN, "no thanks"), (ROAMING_FR, "merci"),
                                                 (ROAMING_FR, "non merci")])
def test_small_talk_is_never_read_as_a_follow_up(sample_engine: KnowledgeEngine, question: str, turn: str) -> None:
    context = TurnContext(question, sample_engine.decide(question).article)
    # Read with the roaming question, it would be answered: it must not be.
    assert sample_engine.decide(f"{question} {turn}").outcome is Outcome.ANSWER
    understood = decide_in_context(sample_engine, turn, None, context)
    assert (understood.decision.outcome, understood.follow_up) == (Outcome.DECLINE, False)
    assert next_context(context, turn, understood) == context


@pytest.mark.parametrize(
    ("question", "turn"),
    [(ROAMING_EN, "what is the best recipe for a chocolate mousse?"),
     (ROAMING_EN, "do you sell pizza?"),
     (ROAMING_EN, "what is the capital of australia"),
     (ROAMING_FR, "quelle est la recette de la tarte tatin")],
)
def test_a_short_question_outside_the_help_centre_is_not_pulled_towards_the_last_topic(
    sample_engine: KnowledgeEngine, question: str, turn: str
) -> None:
    context = TurnContext(question, sample_engine.decide(question).article)
    understood = decide_in_context(sample_engine, turn, None, context)
    assert (understood.decision.outcome, understood.decision.reason, understood.follow_up) == (Outcome.DECLINE, "out_of_scope", False)


@pytest.mark.xfail(strict=True, reason="a turn with a follow-up cue ('and', 'et') about something the help centre does not "
                                       "cover is answered from the last question's article")
@pytest.mark.parametrize(
    ("question", "turn"),
    [(ROAMING_EN, "and do you sell pizza?"),
     ("how do I reset my password", "and the weather tomorrow?"),
     (ROAMING_FR, "et vous vendez des pizzas ?")],
)
def test_a_question_outside_the_help_centre_that_starts_like_a_follow_up_is_still_declined(
    sample_engine: KnowledgeEngine, question: str, turn: str
) -> None:
    understood = decide_in_context(sample_engine, turn, None, TurnContext(question, sample_engine.decide(question).article))
    assert understood.decision.outcome is Outcome.DECLINE


def test_a_turn_about_another_topic_is_not_answered_from_the_last_unsure_favourite(sample_engine: KnowledgeEngine) -> None:
    question = "a question about payment"
    unsure = sample_engine.decide(question)
    assert unsure.reason == "low_confidence" and unsure.sources[0].article.startswith("lumen/")
    favourite = unsure.sources[0].article
    understood = decide_in_context(sample_engine, "delivery or return", "en", TurnContext(question, favourite))
    assert understood.decision.article != favourite


def test_a_turn_pointing_back_is_read_with_the_last_article_s_title(sample_engine: KnowledgeEngine) -> None:
    """The last question alone does not help ("hmm ok"), but the turn points back to the topic the
    conversation was about: it is answered from that article."""
    turn = "et si la boîte est ouverte ?"
    assert sample_engine.decide(f"hmm ok {turn}", "fr").outcome is Outcome.DECLINE  # the last question does not help
    understood = decide_in_context(sample_engine, turn, "fr", TurnContext("hmm ok", "lumen/return-withdrawal-fr"))
    assert (understood.decision.article, understood.follow_up) == ("lumen/return-withdrawal-fr", True)
    # Without an article to point back to, the same turn finds nothing.
    alone = decide_in_context(sample_engine, turn, "fr", TurnContext("hmm ok"))
    assert (alone.decision.outcome, alone.follow_up) == (Outcome.DECLINE, False)


def test_a_turn_pointing_back_goes_to_the_last_topic_when_that_reading_is_more_confident(sample_engine: KnowledgeEngine) -> None:
    turn = "does that email link expire?"
    alone = sample_engine.decide(turn, "en")
    assert alone.outcome is Outcome.ANSWER and alone.article != "lumen/update-personal-details-en"
    context = TurnContext("how do I change my email", "lumen/update-personal-details-en")
    understood = decide_in_context(sample_engine, turn, "en", context)
    assert (understood.decision.article, understood.follow_up) == ("lumen/update-personal-details-en", True)


# -- next_context ------------------------------------------------------------------------------


def _answer(article: str) -> Decision:
    return Decision(Outcome.ANSWER, "…", "en", article=article, confidence=0.9, sources=[Source(article, "T", 0.9)])


def _decline(reason: str, favourite: str | None = None) -> Decision:
    sources = [Source(favourite, "T", 0.4)] if favourite else []
    return Decision(Outcome.DECLINE, "…", "en", reason=reason, sources=sources)


ROAMING = TurnContext(ROAMING_EN, "lumen/roaming-abroad-en")


def test_a_question_that_stood_on_its_own_becomes_the_context() -> None:
    turn = "how do I reset my password "
    result = ContextualDecision(_answer("lumen/reset-password-en"), turn, False)
    answered = TurnContext("how do I reset my password", "lumen/reset-password-en", answered=True)
    assert next_context(ROAMING, turn, result) == answered
    assert next_context(None, turn, result) == answered


def test_a_follow_up_keeps_the_question_and_moves_to_the_article_it_found() -> None:
    result = ContextualDecision(_answer("lumen/delivery-times-costs-en"), f"{ROAMING_EN} and the delivery?", True)
    assert next_context(ROAMING, "and the delivery?", result) == TurnContext(ROAMING_EN, "lumen/delivery-times-costs-en", answered=True)


@pytest.mark.parametrize("turn", ["thanks", "ok", "hello?", "merci"])
def test_small_talk_changes_nothing(turn: str) -> None:
    result = ContextualDecision(_decline("out_of_scope"), turn, False)
    assert next_context(ROAMING, turn, result) == ROAMING
    assert next_context(None, turn, result) is None


def test_a_follow_up_that_still_made_no_sense_keeps_the_topic() -> None:
    result = ContextualDecision(_decline("out_of_scope"), "and in Narnia?", False)
    assert next_context(ROAMING, "and in Narnia?", result) == ROAMING


@pytest.mark.parametrize("reason", ["empty_question", "too_long"])
def test_an_empty_or_too_long_message_keeps_the_context(reason: str) -> None:
    text = "please read my whole story about the phone I bought for my nephew last summer " * 3
    result = ContextualDecision(_decline(reason), text, False)
    assert next_context(ROAMING, text, result) == ROAMING


def test_an_unsure_question_becomes_the_context_with_its_favourite_article() -> None:
    text = "where can I find the invoice for last month subscription payment"
    result = ContextualDecision(_decline("low_confidence", "lumen/understand-bill-en"), text, False)
    assert next_context(ROAMING, text, result) == TurnContext(text, "lumen/understand-bill-en")
    result = ContextualDecision(_decline("out_of_scope", "lumen/understand-bill-en"), text, False)
    assert next_context(None, text, result) == TurnContext(text, None)
