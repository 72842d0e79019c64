"""Custom actions with in-memory trackers, over a real Chroma index of the sample help centre
and a real Redis (agent presence)."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa_sdk.events import SlotSet
from redis.asyncio import Redis

from actions.answering import ActionAnswerQuestion, ActionHandOver
from actions.dialogue.clarification import clarification_options
from handoff.connection import connect
from handoff.settings import HandoffSettings
from knowledge.answering.followups import TurnContext, decide_in_context
from knowledge.answering.sensitive_topics import SensitiveTopicsFile
from knowledge import wording
from knowledge.answering.service import KnowledgeService
from knowledge.settings import SENSITIVE_TOPICS
from ops.stack import free_port
from tests.actions.trackers import advisor_online, bot_event, run, tracker

pytestmark = pytest.mark.anyio

# Declined as "low_confidence" by the sample help centre: close to an article, not close enough,
# and not a close call between two articles either (those get "Did you mean…?": test_dialogue.py).
# The second is about something else than the first: read with it, "problem with my phone" was answered
# from the no-signal article at 0.1823 on one machine, just over that calibration's 0.1822.
UNSURE_EN = ("my connection is bad", "order issue")
UNSURE_FR = "j'ai un souci avec mon téléphone"
OUT_OF_SCOPE = "what is the best recipe for a chocolate mousse?"


@pytest.fixture(autouse=True)
def _unsure_questions_are_unsure(sample_service: KnowledgeService) -> None:
    """These tests rely on how the sample help centre declines: say so plainly if that changes."""
    engine = sample_service.engine()
    for question in (*UNSURE_EN, UNSURE_FR):
        decision = sample_service.decide(question)
        assert decision.reason == "low_confidence", question
    for question in (UNSURE_EN[0], UNSURE_FR):  # offered an advisor, not asked which article
        assert clarification_options(engine, sample_service.decide(question)) == [], question
    in_a_row = decide_in_context(engine, UNSURE_EN[1], "en", TurnContext(UNSURE_EN[0]))
    assert in_a_row.decision.reason == "low_confidence", "read after the first, the second is no longer unsure"
    assert sample_service.decide(OUT_OF_SCOPE).reason == "out_of_scope"


async def test_answer_action_replies_with_text_and_payload(answer: ActionAnswerQuestion) -> None:
    messages, events = await run(answer, tracker("where is my parcel? I want to track my order"))
    assert len(messages) == 1
    message = messages[0]
    assert message["text"] == message["custom"]["text"]
    assert message["custom"]["outcome"] == "answer"
    assert message["custom"]["article"] == "lumen/track-order-en"
    assert "route" not in message["custom"]
    assert SlotSet("language", "en") in events


async def test_answer_action_keeps_the_conversation_language_for_ambiguous_text(answer: ActionAnswerQuestion) -> None:
    messages, events = await run(answer, tracker("ok", language="fr"))
    assert messages[0]["custom"]["lang"] == "fr"
    assert SlotSet("language", "fr") in events


async def test_hand_over_action_escalates_with_the_intent_reason(hand_over: ActionHandOver) -> None:
    messages, events = await run(hand_over, tracker("je veux un humain", intent="request_human", language="fr"))
    custom = messages[0]["custom"]
    assert (custom["outcome"], custom["reason"], custom["lang"]) == ("escalate", "customer_request", "fr")
    assert "conseiller" in messages[0]["text"]
    assert SlotSet("handover_reason", "customer_request") in events
    messages, _ = await run(hand_over, tracker("this is unacceptable", intent="complaint"))
    assert messages[0]["custom"]["reason"] == "complaint"


async def test_small_talk_gets_its_response_unless_the_knowledge_base_is_sure(answer: ActionAnswerQuestion) -> None:
    for text, intent, response, lang in (("hello there", "greet", "utter_greet", "en"),
                                         ("merci, bonne journée", "thank", "utter_you_are_welcome", "fr")):
        messages, _ = await run(answer, tracker(text, intent=intent))
        said = wording.text(response, lang)
        assert [(m["text"], m["custom"]) for m in messages] == [(said, {"outcome": "smalltalk", "lang": lang, "text": said})]
    messages, _ = await run(answer, tracker("thanks, but someone stole my phone", intent="thank"))
    assert (messages[0]["custom"]["outcome"], messages[0]["custom"]["reason"]) == ("escalate", "sensitive")
    # NLU took a real question for a thank-you: the knowledge base still answers it.
    messages, _ = await run(answer, tracker("how do I activate my eSIM?", intent="thank"))
    assert messages[0]["custom"]["article"] == "lumen/activate-sim-esim-en"


# -- routing ---------------------------------------------------------------------------


async def test_a_hand_over_goes_to_the_queue_when_an_advisor_taking_the_language_is_online(
    hand_over: ActionHandOver, redis_client: Redis
) -> None:
    await advisor_online(redis_client, ["fr"])
    messages, events = await run(hand_over, tracker("je veux parler à un conseiller", intent="request_human", language="fr"))
    custom = messages[0]["custom"]
    assert (custom["outcome"], custom["route"], custom["reason"]) == ("escalate", "agent", "customer_request")
    assert messages[0]["text"] == "Bien sûr. Je transmets votre conversation à un conseiller."
    assert SlotSet("handover_route", "agent") in events


async def test_a_hand_over_asks_for_a_contact_when_no_advisor_takes_the_language(
    hand_over: ActionHandOver, redis_client: Redis
) -> None:
    await advisor_online(redis_client, ["fr"])  # online, but French only
    messages, events = await run(hand_over, tracker("I want to talk to a person", intent="request_human", language="en"))
    custom = messages[0]["custom"]
    assert (custom["outcome"], custom["route"], custom["reason"], custom["lang"]) == ("escalate", "ticket", "customer_request", "en")
    assert "No advisor is available right now" in messages[0]["text"]
    assert "email address or phone number" in messages[0]["text"]
    assert SlotSet("handover_route", "ticket") in events
    messages, _ = await run(hand_over, tracker("c'est une honte, je veux faire une réclamation", intent="complaint", language="fr"))
    assert messages[0]["custom"]["route"] == "agent"


async def test_an_unreachable_redis_counts_as_no_advisor_online(sample_service: KnowledgeService) -> None:
    nowhere = connect(f"redis://127.0.0.1:{free_port()}/0")
    action = ActionHandOver(sample_service, SensitiveTopicsFile(SENSITIVE_TOPICS), nowhere, HandoffSettings())
    try:
        messages, events = await run(action, tracker("agent please", intent="request_human"))
    finally:
        await nowhere.aclose()
    assert messages[0]["custom"]["route"] == "ticket"
    assert SlotSet("handover_route", "ticket") in events


# -- the escalation policy ---------------------------------------------------------------


async def test_an_unsure_decline_offers_an_advisor_with_yes_and_no_buttons(answer: ActionAnswerQuestion) -> None:
    messages, events = await run(answer, tracker(UNSURE_EN[0]))
    [message] = messages
    assert message["text"].endswith("Would you like to talk to an advisor?")
    assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/deny"]
    custom = message["custom"]
    assert (custom["outcome"], custom["reason"], custom["offer"]) == ("decline", "low_confidence", "advisor")
    assert custom["buttons"] == message["buttons"]
    assert SlotSet("handover_offered", True) in events
    assert SlotSet("low_confidence_count", 1.0) in events
    messages, _ = await run(answer, tracker(UNSURE_FR))
    assert messages[0]["text"].endswith("Voulez-vous parler à un conseiller ?")
    assert [b["title"] for b in messages[0]["buttons"]] == ["Oui", "Non"]


async def test_yes_to_the_offer_hands_over_with_what_was_declined(
    answer: ActionAnswerQuestion, hand_over: ActionHandOver, redis_client: Redis
) -> None:
    offer, offer_events = await run(answer, tracker(UNSURE_EN[0]))
    slots = {e["name"]: e["value"] for e in offer_events if e["event"] == "slot"}
    await advisor_online(redis_client, ["en"])
    messages, events = await run(hand_over, tracker("/affirm", intent="affirm", slots=slots,
                                                    events=[bot_event(offer[0]["custom"])]))
    custom = messages[0]["custom"]
    assert (custom["outcome"], custom["reason"], custom["route"]) == ("escalate", "low_confidence", "agent")
    assert custom["sources"] == offer[0]["custom"]["sources"] and custom["sources"]
    assert SlotSet("handover_offered", None) in events
    assert SlotSet("handover_reason", "low_confidence") in events


async def test_no_to_the_offer_invites_another_question(answer: ActionAnswerQuestion) -> None:
    messages, events = await run(answer, tracker("non merci", intent="deny", language="fr",
                                                 slots={"handover_offered": True, "low_confidence_count": 1.0}))
    assert messages[0]["text"] == "D'accord. Posez-moi une autre question quand vous voulez."
    assert messages[0]["custom"]["outcome"] == "smalltalk"
    assert SlotSet("handover_offered", None) in events
    assert not any(e["name"] == "handover_route" and e["value"] for e in events)


async def test_another_message_after_the_offer_withdraws_it(answer: ActionAnswerQuestion) -> None:
    messages, events = await run(answer, tracker("how do I reset my password?",
                                                 slots={"handover_offered": True, "low_confidence_count": 1.0}))
    assert messages[0]["custom"]["outcome"] == "answer"
    assert SlotSet("handover_offered", None) in events
    assert SlotSet("low_confidence_count", 0.0) in events


async def test_a_second_unsure_decline_in_a_row_hands_over_at_once(answer: ActionAnswerQuestion) -> None:
    _, first = await run(answer, tracker(UNSURE_EN[0]))
    slots = {e["name"]: e["value"] for e in first if e["event"] == "slot"}
    messages, events = await run(answer, tracker(UNSURE_EN[1], slots=slots))
    custom = messages[0]["custom"]
    assert (custom["outcome"], custom["reason"], custom["route"]) == ("escalate", "repeated_failure", "ticket")
    assert not messages[0]["buttons"] and "buttons" not in messages[0]["custom"]
    assert SlotSet("handover_reason", "repeated_failure") in events
    assert SlotSet("low_confidence_count", 0.0) in events


async def test_out_of_scope_declines_neither_offer_buttons_nor_count(answer: ActionAnswerQuestion) -> None:
    messages, events = await run(answer, tracker(OUT_OF_SCOPE, slots={"low_confidence_count": 0.0}))
    assert (messages[0]["custom"]["outcome"], messages[0]["custom"]["reason"]) == ("decline", "out_of_scope")
    assert not messages[0]["buttons"] and "buttons" not in messages[0]["custom"]
    assert not any(e["name"] == "low_confidence_count" for e in events if e["event"] == "slot")
    # Its text ends "…or ask for an advisor?": a "yes" right after it hands over.
    assert "advisor" in messages[0]["text"]
    assert SlotSet("handover_offered", True) in events


async def test_yes_after_an_out_of_scope_decline_hands_over(
    answer: ActionAnswerQuestion, hand_over: ActionHandOver
) -> None:
    declined, events = await run(answer, tracker(OUT_OF_SCOPE))
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    messages, events = await run(hand_over, tracker("yes", intent="affirm", slots=slots, events=[bot_event(declined[0]["custom"])]))
    assert (messages[0]["custom"]["outcome"], messages[0]["custom"]["reason"]) == ("escalate", "low_confidence")
    assert SlotSet("handover_reason", "low_confidence") in events


async def test_an_answer_that_did_not_help_hands_over_with_that_answer(hand_over: ActionHandOver) -> None:
    answered = {"outcome": "answer", "article": "lumen/reset-password-en", "confidence": 0.99, "reason": None,
                "lang": "en", "text": "…", "sources": [{"article": "lumen/reset-password-en", "title": "Reset", "score": 0.99}]}
    messages, events = await run(hand_over, tracker("that didn't help", intent="answer_not_helpful",
                                                    events=[bot_event(answered)]))
    custom = messages[0]["custom"]
    assert (custom["outcome"], custom["reason"], custom["article"]) == ("escalate", "not_helpful", "lumen/reset-password-en")
    assert SlotSet("handover_reason", "not_helpful") in events


async def test_a_listed_sensitive_topic_hands_over_with_its_name(answer: ActionAnswerQuestion) -> None:
    question = "my husband passed away last month, I need to close his line"
    messages, events = await run(answer, tracker(question))
    custom = messages[0]["custom"]
    assert (custom["outcome"], custom["reason"], custom["topic"], custom["route"]) == ("escalate", "sensitive", "bereavement", "ticket")
    assert SlotSet("handover_reason", "sensitive") in events
    messages, _ = await run(answer, tracker("mon mari est décédé, je dois résilier sa ligne"))
    assert (messages[0]["custom"]["topic"], messages[0]["custom"]["lang"]) == ("bereavement", "fr")


async def test_the_content_team_file_decides_what_is_sensitive(
    sample_service: KnowledgeService, redis_client: Redis, tmp_path: Path
) -> None:
    topics = tmp_path / "topics.yml"
    topics.write_text("topics:\n  road_safety:\n    en: [zebra crossing]\n    fr: [passage piéton]\n", encoding="utf-8")
    action = ActionAnswerQuestion(sample_service, SensitiveTopicsFile(topics), redis_client, HandoffSettings())
    messages, _ = await run(action, tracker("there is a zebra crossing near my flat"))
    assert (messages[0]["custom"]["reason"], messages[0]["custom"]["topic"]) == ("sensitive", "road_safety")
    # Bereavement is a topic of the shipped file only: the engine may still hand over, never for that topic.
    messages, _ = await run(action, tracker("my husband passed away last month, I need to close his line"))
    assert messages[0]["custom"].get("topic") is None
