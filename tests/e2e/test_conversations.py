"""Conversations through the real web app, Rasa server, action server and Redis: a follow-up is
answered in context, a customer in distress asks questions while the bot waits for a contact and
gets answers, "no thanks" leaves the form, and "no" to "anything else?" ends the conversation."""
from __future__ import annotations

import pytest
import redis

from knowledge import redis_keys as keys
from knowledge import wording
from ops.stack import Stack
from tests.e2e.handoff_clients import Customer

pytestmark = pytest.mark.e2e

ROAMING_EN = "lumen/roaming-abroad-en"
ROAMING_FR = "lumen/roaming-abroad-fr"
STOLEN_EN = "lumen/lost-stolen-phone-en"


@pytest.fixture
def nobody_online(warm_stack: Stack) -> None:
    redis.Redis.from_url(warm_stack.urls["redis"]).delete(keys.PRESENCE)


def _answers(turn: dict) -> list[str | None]:
    return [r.get("article") for r in turn["replies"] if r.get("outcome") == "answer"]


@pytest.mark.parametrize(("question", "follow_up", "article"), [
    ("how much does roaming in the US cost", "and in Canada?", ROAMING_EN),
    ("combien coûte le roaming aux USA", "et au Canada ?", ROAMING_FR),
])
def test_a_follow_up_is_answered_with_the_question_before_it(
        warm_stack: Stack, question: str, follow_up: str, article: str) -> None:
    customer = Customer(warm_stack.urls["web"])
    assert _answers(customer.say(question)) == [article]
    assert _answers(customer.say(follow_up)) == [article]
    # The same words opening a conversation are about nothing the help centre covers.
    assert _answers(Customer(warm_stack.urls["web"]).say(follow_up)) == []


def test_a_customer_waiting_to_leave_a_contact_still_gets_answers(warm_stack: Stack, nobody_online: None) -> None:
    customer = Customer(warm_stack.urls["web"])
    first = customer.say("my phone was stolen")
    assert (first["replies"][0]["outcome"], first["replies"][0]["route"]) == ("escalate", "ticket")
    during = customer.say("how do I block my sim?")
    answer, reminder = during["replies"]
    assert (answer["outcome"], answer["article"]) == ("answer", STOLEN_EN)
    assert reminder["text"] == wording.text("utter_contact_reminder", "en")
    done = customer.say("no thanks")
    assert [r["outcome"] for r in done["replies"]] == ["no_ticket"]
    # The form is over: a question is a question again.
    assert _answers(customer.say("how do I reset my password")) == ["lumen/reset-password-en"]


def test_no_to_anything_else_ends_the_conversation_kindly(warm_stack: Stack) -> None:
    customer = Customer(warm_stack.urls["web"])
    customer.say("how do I reset my password")
    thanks = customer.say("thanks")
    assert [r["text"] for r in thanks["replies"]] == [wording.text("utter_you_are_welcome", "en")]
    said = [customer.say("no")["replies"][0]["text"] for _ in range(3)]
    assert said[0] == wording.text("utter_goodbye", "en")
    assert not (said[0] == said[1] == said[2])
