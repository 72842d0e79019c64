"""What the actions record for the content team (knowledge/unanswered/events.py), with in-memory
trackers over the sample help centre and a real Redis."""
from __future__ import annotations

from typing import Any

import pytest
import redis

from actions.answering import ActionAnswerQuestion, ActionHandOver
from handoff.connection import connect
from handoff.settings import HandoffSettings
from knowledge.answering.sensitive_topics import SensitiveTopicsFile
from knowledge.answering.service import KnowledgeService
from knowledge.settings import SENSITIVE_TOPICS
from knowledge.unanswered.events import UnansweredEvent, UnansweredStore
from ops.stack import free_port
from tests.actions.trackers import bot_event, run, tracker

pytestmark = pytest.mark.anyio

OUT_OF_SCOPE = "what is the best recipe for a chocolate mousse?"
# Declined as "low_confidence" by the sample help centre (checked by the fixture below).
# Unsure declines that offer an advisor (no two close articles to ask "Did you mean…?" about).
UNSURE = ("my connection is bad", "order issue")  # unsure also in a row (tests/actions/test_answering.py)
ESIM_ARTICLE = "lumen/activate-sim-esim-en"


def user_event(text: str, intent: str = "ask_question") -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}


@pytest.fixture
def recorded(redis_url: str) -> Any:
    """The events recorded so far, oldest first."""
    store = UnansweredStore(redis.Redis.from_url(redis_url, decode_responses=True))
    return lambda: list(reversed(store.events()))


def _fields(event: UnansweredEvent) -> tuple[str, str, str, str | None, str | None, str | None]:
    return (event.question, event.lang, event.outcome.value, event.reason, event.conversation_id, event.article)


async def test_declined_questions_are_recorded_with_their_reason(answer: ActionAnswerQuestion, recorded: Any,
                                                                 sample_service: KnowledgeService) -> None:
    assert sample_service.decide(UNSURE[0]).reason == "low_confidence", "the sample help centre changed: pick another"
    await run(answer, tracker(OUT_OF_SCOPE, sender_id="c1"))
    await run(answer, tracker(UNSURE[0], sender_id="c2"))
    assert [_fields(e) for e in recorded()] == [
        (OUT_OF_SCOPE, "en", "decline", "out_of_scope", "c1", None),
        (UNSURE[0], "en", "decline", "low_confidence", "c2", None),
    ]


async def test_answers_small_talk_and_empty_or_too_long_messages_are_not_recorded(
    answer: ActionAnswerQuestion, recorded: Any
) -> None:
    messages, _ = await run(answer, tracker("how do I activate my eSIM?"))
    assert messages[0]["custom"]["outcome"] == "answer"
    await run(answer, tracker("hello there", intent="greet"))
    for text, reason in (("   ", "empty_question"), ("x" * 2500, "too_long")):
        messages, _ = await run(answer, tracker(text))
        assert messages[0]["custom"]["reason"] == reason
    assert recorded() == []


async def test_a_request_for_a_person_records_the_last_real_question_not_the_request(
    hand_over: ActionHandOver, recorded: Any
) -> None:
    history = [user_event("bonjour", "greet"), user_event("comment changer de forfait pour l'étranger ?"),
               user_event("je veux un humain", "request_human")]
    messages, _ = await run(hand_over, tracker("je veux un humain", intent="request_human", events=history, sender_id="c3"))
    assert messages[0]["custom"]["reason"] == "customer_request"
    # Nothing asked before the complaint: nothing to learn from.
    await run(hand_over, tracker("this is unacceptable", intent="complaint", events=[user_event("hi", "greet")]))
    assert [_fields(e) for e in recorded()] == [
        ("comment changer de forfait pour l'étranger ?", "fr", "escalate", "customer_request", "c3", None),
    ]


async def test_an_unhelpful_answer_records_the_question_it_answered_and_its_article(
    hand_over: ActionHandOver, recorded: Any
) -> None:
    answered = {"outcome": "answer", "article": ESIM_ARTICLE, "confidence": 0.9, "reason": None, "lang": "en",
                "text": "…", "sources": []}
    history = [user_event("how do I activate my eSIM?"), bot_event(answered), user_event("/answer_not_helpful", "answer_not_helpful")]
    messages, _ = await run(hand_over, tracker("/answer_not_helpful", intent="answer_not_helpful", events=history,
                                               sender_id="c4"))
    assert messages[0]["custom"]["reason"] == "not_helpful"
    assert [_fields(e) for e in recorded()] == [
        ("how do I activate my eSIM?", "en", "unhelpful", "not_helpful", "c4", ESIM_ARTICLE),
    ]


async def test_a_sensitive_topic_handed_over_by_design_is_not_recorded(answer: ActionAnswerQuestion, recorded: Any) -> None:
    messages, _ = await run(answer, tracker("my husband passed away last month, I need to close his line", sender_id="c5"))
    assert (messages[0]["custom"]["outcome"], messages[0]["custom"]["reason"]) == ("escalate", "sensitive")
    assert recorded() == []


async def test_escalations_record_the_question_with_their_reason_but_not_sensitive_topics_handed_over_by_design(
    answer: ActionAnswerQuestion, hand_over: ActionHandOver, recorded: Any
) -> None:
    stolen = "my husband passed away last month, I need to close his line"
    await run(answer, tracker(stolen, sender_id="c5"))
    # Yes to the advisor offered after an unsure decline: the declined question, escalated.
    offer, offer_events = await run(answer, tracker(UNSURE[0], sender_id="c6"))
    slots = {e["name"]: e["value"] for e in offer_events if e["event"] == "slot"}
    history = [user_event(UNSURE[0]), bot_event(offer[0]["custom"]), user_event("/affirm", "affirm")]
    await run(hand_over, tracker("/affirm", intent="affirm", slots=slots, events=history, sender_id="c6"))
    # A second unsure decline in a row.
    _, first = await run(answer, tracker(UNSURE[0], sender_id="c7"))
    slots = {e["name"]: e["value"] for e in first if e["event"] == "slot"}
    messages, _ = await run(answer, tracker(UNSURE[1], slots=slots, sender_id="c7"))
    assert messages[0]["custom"]["reason"] == "repeated_failure"
    # c5's sensitive topic was handed over as it should be: nothing for the content team to write.
    assert [_fields(e) for e in recorded()] == [
        (UNSURE[0], "en", "decline", "low_confidence", "c6", None),
        (UNSURE[0], "en", "escalate", "low_confidence", "c6", None),
        (UNSURE[0], "en", "decline", "low_confidence", "c7", None),
        (UNSURE[1], "en", "escalate", "repeated_failure", "c7", None),
    ]


async def test_an_unreachable_redis_loses_the_record_but_never_the_reply(sample_service: KnowledgeService) -> None:
    nowhere = connect(f"redis://127.0.0.1:{free_port()}/0")
    topics = SensitiveTopicsFile(SENSITIVE_TOPICS)
    try:
        declined, _ = await run(ActionAnswerQuestion(sample_service, topics, nowhere, HandoffSettings()),
                                tracker(OUT_OF_SCOPE))
        escalated, _ = await run(ActionHandOver(sample_service, topics, nowhere, HandoffSettings()),
                                 tracker("agent please", intent="request_human",
                                         events=[user_event("how do I port my number?")]))
    finally:
        await nowhere.aclose()
    assert (declined[0]["custom"]["outcome"], declined[0]["custom"]["reason"]) == ("decline", "out_of_scope")
    assert (escalated[0]["custom"]["outcome"], escalated[0]["custom"]["reason"]) == ("escalate", "customer_request")
