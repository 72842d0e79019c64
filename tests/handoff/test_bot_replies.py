"""The reply contract (knowledge/contract.py): payloads on the wire, read back typed, grouped from Rasa."""
from __future__ import annotations

from typing import Any

import pytest

from knowledge.contract import (
    Decision,
    DeclineReason,
    EscalationReason,
    MalformedReply,
    Offer,
    Outcome,
    Reply,
    Route,
    Source,
    group_rasa_messages,
    parse_reply,
)


def test_text_parts_and_payload_become_one_reply_per_utterance() -> None:
    messages = [
        {"recipient_id": "c", "text": "Hi!"},
        {"recipient_id": "c", "custom": {"outcome": "smalltalk"}},
        {"recipient_id": "c", "text": "First paragraph."},
        {"recipient_id": "c", "text": "Second paragraph."},
        {"recipient_id": "c", "custom": {"outcome": "answer", "article": "kb/a", "text": "First paragraph.\n\nSecond paragraph."}},
    ]
    replies = group_rasa_messages(messages)
    assert replies == [
        {"outcome": "smalltalk", "text": "Hi!"},
        {"outcome": "answer", "article": "kb/a", "text": "First paragraph.\n\nSecond paragraph."},
    ]


def test_a_text_without_payload_is_still_a_reply() -> None:
    assert group_rasa_messages([{"recipient_id": "c", "text": "plain"}]) == [{"text": "plain"}]


# -- the reply contract: one builder (Reply.payload), one parser (parse_reply) --------------

SOURCES = (Source("lumen/reset-password-en", "Reset your password", 0.861234),)


def test_an_answer_carries_its_article_confidence_and_sources() -> None:
    reply = Reply(Outcome.ANSWER, "en", "Go to Settings.", None, "lumen/reset-password-en", 0.834567, SOURCES)
    assert reply.payload() == {
        "outcome": "answer", "article": "lumen/reset-password-en", "confidence": 0.8346, "reason": None, "lang": "en",
        "sources": [{"article": "lumen/reset-password-en", "title": "Reset your password", "score": 0.8612}],
        "text": "Go to Settings.",
    }


def test_an_escalation_says_where_it_goes_and_an_offer_carries_its_buttons() -> None:
    escalation = Reply(Outcome.ESCALATE, "fr", "Bien sûr.", EscalationReason.CUSTOMER_REQUEST, route=Route.AGENT)
    assert list(escalation.payload()) == ["outcome", "article", "confidence", "reason", "lang", "sources", "text", "route", "topic"]
    assert (escalation.payload()["route"], escalation.payload()["reason"], escalation.payload()["topic"]) == ("agent", "customer_request", None)
    buttons = ({"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"})
    offer = Reply(Outcome.DECLINE, "en", "Advisor?", DeclineReason.LOW_CONFIDENCE, offer=Offer.ADVISOR, buttons=buttons)
    assert list(offer.payload())[-2:] == ["offer", "buttons"]
    assert (offer.payload()["offer"], offer.payload()["buttons"]) == ("advisor", list(buttons))


def test_replies_that_only_say_something_or_file_a_ticket_carry_only_that() -> None:
    for outcome in (Outcome.SMALLTALK, Outcome.CONTACT_INVALID):
        assert Reply(outcome, "fr", "…").payload() == {"outcome": outcome.value, "lang": "fr", "text": "…"}
    ticket = Reply(Outcome.TICKET, "en", "Recorded.", EscalationReason.COMPLAINT, ticket="T-1")
    assert ticket.payload() == {"outcome": "ticket", "ticket": "T-1", "reason": "complaint", "lang": "en", "text": "Recorded."}
    failed = Reply(Outcome.TICKET_FAILED, "en", "Sorry.", EscalationReason.UNKNOWN)
    assert failed.payload() == {"outcome": "ticket_failed", "ticket": None, "reason": "unknown", "lang": "en", "text": "Sorry."}


def test_a_decision_becomes_the_reply_that_says_it() -> None:
    decision = Decision(Outcome.DECLINE, "Sorry.", "en", confidence=0.2, reason="low_confidence", sources=list(SOURCES))
    reply = Reply.from_decision(decision)
    assert (reply.reason, reply.text, reply.sources) == (DeclineReason.LOW_CONFIDENCE, "Sorry.", SOURCES)
    assert decision.payload() == {k: v for k, v in reply.payload().items() if k != "text"}
    assert Reply.from_decision(decision, "Generated.").text == "Generated."


def test_every_payload_reads_back_as_the_reply_that_built_it() -> None:
    replies = [
        Reply(Outcome.ANSWER, "en", "Go.", None, "kb/a", 0.5, (Source("kb/a", "A", 0.5),)),
        Reply(Outcome.ESCALATE, "fr", "Bien sûr.", EscalationReason.SENSITIVE, route=Route.TICKET, topic="bereavement"),
        Reply(Outcome.DECLINE, "en", "Advisor?", DeclineReason.LOW_CONFIDENCE, offer=Offer.ADVISOR,
              buttons=({"title": "Yes", "payload": "/affirm"},)),
        Reply(Outcome.DECLINE, "en", "No.", DeclineReason.OUT_OF_SCOPE),
        Reply(Outcome.SMALLTALK, "fr", "D'accord."),
        Reply(Outcome.TICKET, "en", "Recorded.", EscalationReason.COMPLAINT, ticket="T-1"),
    ]
    for reply in replies:
        assert parse_reply(reply.payload()) == reply


def test_replies_grouped_from_rasa_read_back_typed() -> None:
    messages = [
        {"recipient_id": "c", "text": "Bonjour !"},
        {"recipient_id": "c", "custom": {"outcome": "smalltalk"}},  # domain.yml's small talk names no language
        {"recipient_id": "c", "text": "Pas de problème."},
        {"recipient_id": "c", "custom": {"outcome": "no_ticket", "lang": "fr"}},
    ]
    smalltalk, no_ticket = [parse_reply(reply) for reply in group_rasa_messages(messages)]
    assert (smalltalk.outcome, smalltalk.lang, smalltalk.text) == (Outcome.SMALLTALK, None, "Bonjour !")
    assert (no_ticket.outcome, no_ticket.lang, no_ticket.text) == (Outcome.NO_TICKET, "fr", "Pas de problème.")


@pytest.mark.parametrize(
    "payload",
    [
        {"text": "plain"},
        {"outcome": "shrug", "text": "?"},
        {"outcome": "decline", "reason": "sensitive"},  # an escalation's reason on a decline
        {"outcome": "escalate", "reason": "bored"},
        {"outcome": "escalate", "reason": "complaint", "route": "carrier pigeon"},
        {"outcome": "decline", "reason": "low_confidence", "offer": "cake"},
    ],
)
def test_a_payload_outside_the_contract_is_refused(payload: dict[str, Any]) -> None:
    with pytest.raises(MalformedReply):
        parse_reply(payload)
