"""What a reply shows of its article, through the actions, over the sample help centre and a real
Redis: a sensitive hand-over shows the article's urgent steps whether or not an advisor is online;
an answer from a long article shows the passage that answers, the whole article one click away."""
from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet
from redis.asyncio import Redis

from actions.answering import ActionAnswerQuestion, ActionHandOver
from knowledge.answering.passages.excerpts import urgent_steps
from knowledge.answering.service import KnowledgeService
from knowledge.contract import parse_reply
from tests.actions.trackers import advisor_online, run, tracker

pytestmark = pytest.mark.anyio

STOLEN_EN = "lumen/lost-stolen-phone-en"
STOLEN_FR = "lumen/lost-stolen-phone-fr"
ESIM_EN = "lumen/activate-sim-esim-en"


async def test_a_stolen_phone_with_no_advisor_online_gets_the_steps_and_the_contact_request(
    answer: ActionAnswerQuestion, sample_service: KnowledgeService
) -> None:
    messages, events = await run(answer, tracker("my phone was stolen"))
    [message] = messages
    custom = message["custom"]
    assert (custom["outcome"], custom["reason"], custom["article"], custom["route"]) == (
        "escalate", "sensitive", STOLEN_EN, "ticket")
    steps = urgent_steps(sample_service.engine().snapshot.articles[STOLEN_EN])
    assert custom["steps"] == steps
    assert "+33 1 99 00 07 00" in steps and "Block your SIM" in steps
    # The steps first, then what happens next: the same reply, said at once.
    assert message["text"].startswith(steps)
    assert message["text"].endswith("or say no if you'd rather not).")
    assert custom["more_url"] == f"/help/{STOLEN_EN}"
    assert SlotSet("handover_route", "ticket") in events
    assert SlotSet("handover_reason", "sensitive") in events
    assert parse_reply(custom).steps == steps


async def test_a_stolen_phone_with_an_advisor_online_gets_the_steps_and_the_queue(
    answer: ActionAnswerQuestion, redis_client: Redis
) -> None:
    await advisor_online(redis_client, ["fr"])
    messages, events = await run(answer, tracker("on m'a volé mon téléphone, je fais quoi ?"))
    [message] = messages
    custom = message["custom"]
    assert (custom["outcome"], custom["reason"], custom["article"], custom["route"], custom["lang"]) == (
        "escalate", "sensitive", STOLEN_FR, "agent", "fr")
    assert "01 99 00 07 00" in custom["steps"] and "Bloquez votre SIM" in custom["steps"]
    assert message["text"] == custom["steps"] + "\n\n" + (
        "Faites-le sans attendre. Un conseiller va aussi prendre en charge votre conversation : je la lui transmets.")
    assert SlotSet("handover_route", "agent") in events


async def test_a_person_asked_for_about_a_stolen_phone_gets_the_steps_too(
    hand_over: ActionHandOver, sample_service: KnowledgeService
) -> None:
    question = "I want to talk to someone, my phone was stolen"
    assert sample_service.decide(question).article == STOLEN_EN, "the sample help centre no longer sees the stolen phone"
    messages, _ = await run(hand_over, tracker(question, intent="request_human"))
    custom = messages[0]["custom"]
    assert (custom["outcome"], custom["reason"], custom["article"]) == ("escalate", "sensitive", STOLEN_EN)
    assert "+33 1 99 00 07 00" in custom["steps"]


async def test_a_hand_over_without_a_sensitive_article_shows_no_steps(hand_over: ActionHandOver) -> None:
    for text in ("I want to talk to a person", "/request_human"):
        messages, _ = await run(hand_over, tracker(text, intent="request_human"))
        custom = messages[0]["custom"]
        assert (custom["outcome"], custom["reason"]) == ("escalate", "customer_request")
        assert "steps" not in custom and "more_url" not in custom
        assert messages[0]["text"].startswith("No advisor is available right now")


async def test_a_long_article_answers_with_its_passage_first_and_links_the_whole_article(
    answer: ActionAnswerQuestion, sample_service: KnowledgeService
) -> None:
    messages, _ = await run(answer, tracker("how do I scan the QR code for my eSIM?"))
    custom = messages[0]["custom"]
    assert (custom["outcome"], custom["article"]) == ("answer", ESIM_EN)
    body = sample_service.engine().snapshot.articles[ESIM_EN].body
    text = messages[0]["text"]
    assert "Get my QR code" in text and text in body
    assert "Keeping your number" not in text and len(text) < len(body) / 2
    assert custom["more_url"] == f"/help/{ESIM_EN}"


async def test_a_short_article_answers_whole_without_a_link_to_more(
    answer: ActionAnswerQuestion, sample_service: KnowledgeService
) -> None:
    messages, _ = await run(answer, tracker("where is my parcel? I want to track my order"))
    custom = messages[0]["custom"]
    assert custom["article"] == "lumen/track-order-en"
    assert messages[0]["text"] == sample_service.engine().snapshot.articles["lumen/track-order-en"].body
    assert "more_url" not in custom and "steps" not in custom
