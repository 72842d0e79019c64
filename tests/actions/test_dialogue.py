"""Conversations, turn after turn: follow-ups read in context, "Did you mean…?" and the customer's
choice, and endings that neither loop nor repeat. In-memory trackers carry each turn's slots and
bot messages into the next, over the sample help centre in a real Chroma index and a real Redis."""
from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import SlotSet

from actions.answering import ActionAnswerQuestion, ActionHandOver
from knowledge import wording
from knowledge.answering.engine import KnowledgeEngine
from tests.actions.trackers import bot_event, run, tracker

pytestmark = pytest.mark.anyio

ROAMING = {"en": "how much is roaming in the US", "fr": "combien coûte l'itinérance aux États-Unis"}
# Declined as "low_confidence" between two close articles by the sample help centre (checked below).
CLARIFY = {
    "en": ("payment problem", ["lumen/failed-payment-en", "lumen/payment-methods-en"]),
    "fr": ("problème de paiement", ["lumen/payment-methods-fr", "lumen/failed-payment-fr"]),
}
OUT_OF_SCOPE = {"en": "what is the best recipe for a chocolate mousse?", "fr": "quelle est la recette de la tarte tatin"}


def user_event(text: str, intent: str = "ask_question") -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}


def slots_of(events: list[dict[str, Any]], before: dict[str, Any] | None = None) -> dict[str, Any]:
    """The slots after a turn: those before it, updated by its SlotSet events."""
    return {**(before or {}), **{e["name"]: e["value"] for e in events if e["event"] == "slot"}}


def slot_names(events: list[dict[str, Any]]) -> set[str]:
    return {e["name"] for e in events if e["event"] == "slot"}


def smalltalk(response: str, lang: str) -> dict[str, Any]:
    """A small-talk reply the bot sent, as a bot event."""
    return bot_event({"outcome": "smalltalk", "lang": lang, "text": wording.text(response, lang)})


# -- follow-ups ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "follow_up"), [("en", "and in Canada?"), ("fr", "et au Canada ?")])
async def test_a_follow_up_is_answered_from_the_article_of_the_question_before(
    answer: ActionAnswerQuestion, lang: str, follow_up: str
) -> None:
    question, article = ROAMING[lang], f"lumen/roaming-abroad-{lang}"
    first, events = await run(answer, tracker(question))
    assert (first[0]["custom"]["article"], first[0]["custom"]["lang"]) == (article, lang)
    assert SlotSet("context_question", question) in events
    history = [user_event(question), bot_event(first[0]["custom"])]
    messages, events = await run(answer, tracker(follow_up, slots=slots_of(events), events=history))
    custom = messages[0]["custom"]
    assert (custom["outcome"], custom["article"], custom["lang"]) == ("answer", article, lang)
    assert "context_question" not in slot_names(events)  # the question the follow-up was read with stays
    # Without the first turn's context, the same message finds nothing.
    alone, _ = await run(answer, tracker(follow_up, language=lang))
    assert alone[0]["custom"]["outcome"] == "decline"


@pytest.mark.parametrize(
    ("lang", "question", "article"),
    [("en", "how do I reset my password", "lumen/reset-password-en"),
     ("fr", "comment réinitialiser mon mot de passe", "lumen/reset-password-fr")],
)
async def test_a_complete_new_question_after_an_answer_is_answered_from_its_own_article(
    answer: ActionAnswerQuestion, lang: str, question: str, article: str
) -> None:
    first, events = await run(answer, tracker(ROAMING[lang]))
    history = [user_event(ROAMING[lang]), bot_event(first[0]["custom"])]
    messages, events = await run(answer, tracker(question, slots=slots_of(events), events=history))
    assert (messages[0]["custom"]["outcome"], messages[0]["custom"]["article"]) == ("answer", article)
    assert SlotSet("context_question", question) in events  # the new topic is the context now


@pytest.mark.parametrize(("lang", "thanks"), [("en", "thanks"), ("fr", "merci")])
async def test_thanks_after_an_answer_is_small_talk_not_a_follow_up(answer: ActionAnswerQuestion, lang: str, thanks: str) -> None:
    first, events = await run(answer, tracker(ROAMING[lang]))
    history = [user_event(ROAMING[lang]), bot_event(first[0]["custom"])]
    messages, events = await run(answer, tracker(thanks, intent="thank", slots=slots_of(events), events=history))
    assert messages[0]["custom"] == {"outcome": "smalltalk", "lang": lang, "text": wording.text("utter_you_are_welcome", lang)}
    assert messages[0]["text"] == wording.text("utter_you_are_welcome", lang)
    assert "context_question" not in slot_names(events)  # the roaming question is still the context


# -- "Did you mean…?" --------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _clarified_questions_are_close_calls(sample_engine: KnowledgeEngine) -> None:
    """These tests rely on how the sample help centre declines: say so plainly if that changes."""
    for question, options in CLARIFY.values():
        decision = sample_engine.decide(question)
        assert (decision.reason, [s.article for s in decision.sources[:2]]) == ("low_confidence", options), question


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_two_close_articles_are_offered_as_did_you_mean_with_their_titles(
    answer: ActionAnswerQuestion, sample_engine: KnowledgeEngine, lang: str
) -> None:
    question, options = CLARIFY[lang]
    messages, events = await run(answer, tracker(question))
    [message] = messages
    custom = message["custom"]
    assert (custom["outcome"], custom["reason"], custom["offer"], custom["lang"]) == ("decline", "low_confidence", "clarify", lang)
    assert message["text"] == wording.text("utter_clarify", lang)
    titles = [sample_engine.snapshot.articles[a].title for a in options]
    assert [b["title"] for b in message["buttons"]] == [*titles, wording.text("utter_clarify_advisor_button", lang)]
    assert [b["payload"] for b in message["buttons"]] == [*titles, "/request_human"]
    assert custom["buttons"] == message["buttons"]
    assert SlotSet("clarify_options", options) in events
    assert SlotSet("low_confidence_count", 1.0) in events
    assert "handover_offered" not in slot_names(events)  # no Yes/No advisor offer pending


@pytest.mark.parametrize(
    ("lang", "choice", "position"),
    [
        ("en", "the second one", 1),
        ("en", "Failed payment or unpaid bill", 0),  # the button's payload, or typed
        ("en", "the direct debit one", 1),
        ("fr", "le deuxième", 1),
        ("fr", "Moyens de paiement et prélèvement automatique", 0),
    ],
)
async def test_the_customer_s_choice_answers_from_that_article(
    answer: ActionAnswerQuestion, lang: str, choice: str, position: int
) -> None:
    question, options = CLARIFY[lang]
    offer, events = await run(answer, tracker(question))
    slots = slots_of(events)
    history = [user_event(question), bot_event(offer[0]["custom"])]
    messages, events = await run(answer, tracker(choice, intent="nlu_fallback", slots=slots, events=history))
    custom = messages[0]["custom"]
    assert (custom["outcome"], custom["article"], custom["lang"]) == ("answer", options[position], lang)
    assert SlotSet("clarify_options", None) in events  # a choice is made once
    assert SlotSet("low_confidence_count", 0.0) in events


async def test_a_title_that_nlu_took_for_a_request_for_a_person_still_answers(hand_over: ActionHandOver) -> None:
    question, options = CLARIFY["en"]
    slots = {"clarify_options": options, "context_question": question, "low_confidence_count": 1.0, "language": "en"}
    messages, events = await run(hand_over, tracker("Payment methods and direct debit", intent="request_human", slots=slots))
    custom = messages[0]["custom"]
    assert (custom["outcome"], custom["article"]) == ("answer", options[1])
    assert SlotSet("clarify_options", None) in events
    assert "handover_reason" not in slot_names(events)


async def test_the_advisor_button_of_did_you_mean_hands_over(hand_over: ActionHandOver) -> None:
    question, options = CLARIFY["en"]
    slots = {"clarify_options": options, "context_question": question, "low_confidence_count": 1.0, "language": "en"}
    messages, events = await run(hand_over, tracker("/request_human", intent="request_human", slots=slots))
    custom = messages[0]["custom"]
    assert (custom["outcome"], custom["reason"]) == ("escalate", "customer_request")
    assert SlotSet("handover_reason", "customer_request") in events


# -- endings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "thanks", "anything_else"), [("en", "thanks", "anything else"), ("fr", "merci", "autre chose")])
async def test_thanks_is_answered_with_anything_else(
    answer: ActionAnswerQuestion, lang: str, thanks: str, anything_else: str
) -> None:
    messages, _ = await run(answer, tracker(thanks, intent="thank", language=lang))
    assert messages[0]["custom"]["outcome"] == "smalltalk"
    assert anything_else in messages[0]["text"].lower()


@pytest.mark.parametrize(("lang", "no"), [("en", "no"), ("fr", "non"), ("en", "no thanks")])
async def test_no_to_anything_else_says_goodbye(answer: ActionAnswerQuestion, lang: str, no: str) -> None:
    history = [user_event("thanks", "thank"), smalltalk("utter_you_are_welcome", lang)]
    messages, _ = await run(answer, tracker(no, intent="deny", language=lang, events=history))
    assert messages[0]["text"] == wording.text("utter_goodbye", lang)
    assert messages[0]["custom"]["outcome"] == "smalltalk"
    assert messages[0]["custom"]["ends"] is True  # the widget asks for the conversation's rating on it


@pytest.mark.parametrize(("lang", "yes"), [("en", "yes"), ("fr", "oui")])
async def test_yes_to_anything_else_invites_the_question(answer: ActionAnswerQuestion, lang: str, yes: str) -> None:
    history = [user_event("thanks", "thank"), smalltalk("utter_you_are_welcome", lang)]
    messages, _ = await run(answer, tracker(yes, intent="affirm", language=lang, events=history))
    assert messages[0]["text"] == wording.text("utter_ask_next_question", lang)


async def test_no_after_an_answer_asks_if_there_is_anything_else_then_says_goodbye(answer: ActionAnswerQuestion) -> None:
    first, events = await run(answer, tracker(ROAMING["en"]))
    history = [user_event(ROAMING["en"]), bot_event(first[0]["custom"])]
    messages, _ = await run(answer, tracker("no", intent="deny", slots=slots_of(events), events=history))
    assert messages[0]["text"] == wording.text("utter_anything_else", "en")
    history += [user_event("no", "deny"), smalltalk("utter_anything_else", "en")]
    messages, _ = await run(answer, tracker("no", intent="deny", slots=slots_of(events), events=history))
    assert messages[0]["text"] == wording.text("utter_goodbye", "en")


@pytest.mark.parametrize(("lang", "hello"), [("en", "hello?"), ("fr", "bonjour ?")])
async def test_the_same_small_talk_is_not_sent_a_third_time_in_a_row(answer: ActionAnswerQuestion, lang: str, hello: str) -> None:
    once = [user_event(hello, "greet"), smalltalk("utter_greet", lang)]
    messages, _ = await run(answer, tracker(hello, intent="greet", language=lang, events=once))
    assert messages[0]["text"] == wording.text("utter_greet", lang)  # twice is fine
    messages, _ = await run(answer, tracker(hello, intent="greet", language=lang, events=once + once))
    assert messages[0]["text"] == wording.text("utter_still_here", lang)
    assert messages[0]["custom"] == {"outcome": "smalltalk", "lang": lang, "text": messages[0]["text"]}


@pytest.mark.parametrize(
    ("lang", "question", "article"),
    [("en", "how do I reset my password", "lumen/reset-password-en"),
     ("fr", "comment réinitialiser mon mot de passe", "lumen/reset-password-fr")],
)
async def test_an_answer_already_given_twice_in_a_row_points_back_to_it(
    answer: ActionAnswerQuestion, sample_engine: KnowledgeEngine, lang: str, question: str, article: str
) -> None:
    first, events = await run(answer, tracker(question))
    slots = slots_of(events)
    turn = [user_event(question), bot_event(first[0]["custom"])]
    messages, _ = await run(answer, tracker(question, slots=slots, events=turn))
    assert messages[0]["text"] == first[0]["text"]  # the second time, the same answer
    messages, _ = await run(answer, tracker(question, slots=slots, events=turn + turn))
    custom = messages[0]["custom"]
    title = sample_engine.snapshot.articles[article].title
    assert messages[0]["text"] == wording.text("utter_answer_again", lang, title=title)
    assert title in messages[0]["text"]
    assert (custom["outcome"], custom["article"]) == ("answer", article)


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_a_decline_already_sent_twice_in_a_row_is_said_differently(answer: ActionAnswerQuestion, lang: str) -> None:
    question = OUT_OF_SCOPE[lang]
    first, _ = await run(answer, tracker(question))
    assert (first[0]["custom"]["outcome"], first[0]["custom"]["reason"]) == ("decline", "out_of_scope")
    turn = [user_event(question), bot_event(first[0]["custom"])]
    messages, _ = await run(answer, tracker(question, language=lang, events=turn + turn))
    assert messages[0]["text"] == wording.text("utter_decline_again", lang)
    assert messages[0]["text"] != first[0]["text"]
    assert (messages[0]["custom"]["outcome"], messages[0]["custom"]["reason"]) == ("decline", "out_of_scope")
