"""The whole self-care path through the real Rasa server, action server, Redis and Chroma."""
from __future__ import annotations

import uuid

import httpx
import pytest

from knowledge.contract import BotReply, group_rasa_messages
from ops.stack import Stack

pytestmark = pytest.mark.e2e


def ask(stack: Stack, text: str, sender: str | None = None) -> list[BotReply]:
    response = httpx.post(
        f"{stack.urls['rasa']}/webhooks/rest/webhook",
        json={"sender": sender or uuid.uuid4().hex, "message": text},
        timeout=60,
    )
    response.raise_for_status()
    return group_rasa_messages(response.json())


def only_reply(stack: Stack, text: str, sender: str | None = None) -> BotReply:
    replies = ask(stack, text, sender)
    assert len(replies) == 1, replies
    return replies[0]


def test_an_english_question_is_answered_from_the_right_article(stack: Stack) -> None:
    reply = only_reply(stack, "I forgot my password, how do I reset it?")
    assert (reply["outcome"], reply["article"], reply["lang"]) == ("answer", "lumen/reset-password-en", "en")
    assert reply["sources"][0]["article"] == "lumen/reset-password-en"
    assert reply["confidence"] > 0


def test_a_french_question_is_answered_in_french_from_the_french_article(stack: Stack) -> None:
    reply = only_reply(stack, "Comment suivre ma commande ? Je ne sais pas où est mon colis")
    assert (reply["outcome"], reply["article"], reply["lang"]) == ("answer", "lumen/track-order-fr", "fr")


def test_an_out_of_scope_question_is_declined_with_its_reason(stack: Stack) -> None:
    reply = only_reply(stack, "what is the best recipe for a chocolate cake?")
    assert reply["outcome"] == "decline"
    assert reply["reason"] in ("out_of_scope", "low_confidence")
    assert reply["article"] is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("my phone was stolen, please block my SIM", "sensitive"),
        ("I want to talk to a person", "customer_request"),
        ("Je veux parler à un conseiller", "customer_request"),
        ("I want to make a complaint, your service is a disgrace", "complaint"),
    ],
)
def test_escalations_carry_their_reason(stack: Stack, text: str, reason: str) -> None:
    reply = only_reply(stack, text)
    assert (reply["outcome"], reply["reason"]) == ("escalate", reason)


def test_smalltalk_replies_follow_the_customer_language(stack: Stack) -> None:
    sender = uuid.uuid4().hex
    hello = only_reply(stack, "bonjour", sender)
    assert hello["outcome"] == "smalltalk"
    question = only_reply(stack, "je n'arrive pas à payer ma facture, le prélèvement a été rejeté", sender)
    assert question["lang"] == "fr"
    thanks = only_reply(stack, "merci beaucoup", sender)
    assert thanks["outcome"] == "smalltalk" and thanks["text"] != only_reply(stack, "thank you very much")["text"]


def test_the_web_app_relays_a_conversation_to_the_bot(stack: Stack) -> None:
    web = stack.urls["web"]
    conversation = httpx.post(f"{web}/api/conversations", timeout=10).json()["conversation_id"]
    assert len(conversation) >= 24
    turn = httpx.post(f"{web}/api/conversations/{conversation}/messages",
                      json={"text": "how do I activate my eSIM?"}, timeout=60)
    assert turn.status_code == 200
    reply = turn.json()["replies"][0]
    assert (reply["outcome"], reply["article"]) == ("answer", "lumen/activate-sim-esim-en")


def test_the_web_app_rejects_bad_messages_clearly(stack: Stack) -> None:
    web = stack.urls["web"]
    conversation = httpx.post(f"{web}/api/conversations", timeout=10).json()["conversation_id"]
    too_long = httpx.post(f"{web}/api/conversations/{conversation}/messages", json={"text": "x" * 5000}, timeout=10)
    assert too_long.status_code == 413 and "2000" in too_long.json()["detail"]
    garbled = httpx.post(f"{web}/api/conversations/{conversation}/messages", content=b"{not json", timeout=10,
                         headers={"Content-Type": "application/json"})
    assert garbled.status_code == 422
    blank = httpx.post(f"{web}/api/conversations/{conversation}/messages", json={"text": "   "}, timeout=10)
    assert blank.status_code == 422


def test_a_rasa_restart_loses_no_conversation(stack: Stack) -> None:
    sender = uuid.uuid4().hex
    only_reply(stack, "bonjour", sender)
    only_reply(stack, "comment activer ma eSIM ?", sender)
    stack.restart("rasa")
    tracker = httpx.get(f"{stack.urls['rasa']}/conversations/{sender}/tracker", params={"token": stack.rasa_token},
                        timeout=30).raise_for_status().json()
    said = [event.get("text") for event in tracker["events"] if event.get("event") == "user"]
    assert said == ["bonjour", "comment activer ma eSIM ?"]
    assert tracker["slots"]["language"] == "fr"
    # The conversation goes on in French after the restart, even for a message with no clear language.
    assert only_reply(stack, "ok", sender)["text"] != only_reply(stack, "ok")["text"]
