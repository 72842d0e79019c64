"""The contact form and tickets, with in-memory trackers and a real Redis."""
from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet
from redis.asyncio import Redis

from actions.contact import ActionFileTicket, ActionOfferTicket, ValidateContactForm
from actions.contact_details import ContactKind, parse_contact
from handoff.tickets import get_ticket, open_tickets
from ops.stack import free_port
from tests.actions.trackers import run, tracker

pytestmark = pytest.mark.anyio

IN_FORM = {"requested_slot": "contact"}


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("jane.doe@example.com", ContactKind.EMAIL, "jane.doe@example.com"),
        ("my email is Jane.Doe@Example.COM, thanks", ContactKind.EMAIL, "Jane.Doe@example.com"),
        ("06 12 34 56 78", ContactKind.PHONE, "+33612345678"),
        ("appelez-moi au 06.12.34.56.78 svp", ContactKind.PHONE, "+33612345678"),
        ("+44 20 7946 0958", ContactKind.PHONE, "+442079460958"),
        ("+1 415 555 2671", ContactKind.PHONE, "+14155552671"),
    ],
)
def test_an_email_address_or_phone_number_is_recognised_and_normalised(text: str, kind: ContactKind, value: str) -> None:
    contact = parse_contact(text)
    assert contact is not None and (contact.kind, contact.value) == (kind, value)


@pytest.mark.parametrize("text", ["tomorrow maybe", "06 12 34", "jane@localhost", "jane.doe@", "12345", ""])
def test_anything_else_is_not_a_contact(text: str) -> None:
    assert parse_contact(text) is None


async def test_the_form_keeps_a_valid_email_address() -> None:
    messages, events = await run(ValidateContactForm(), tracker("jane.doe@example.com", intent="nlu_fallback", slots=IN_FORM,
                                                                active_loop="contact_form"))
    assert events == [SlotSet("contact", "jane.doe@example.com")]
    assert messages == []


async def test_the_form_keeps_a_french_phone_number_in_international_format() -> None:
    _, events = await run(ValidateContactForm(), tracker("06 12 34 56 78", slots=IN_FORM, active_loop="contact_form"))
    assert events == [SlotSet("contact", "+33612345678")]


async def test_the_form_asks_again_in_the_customer_language_for_anything_else() -> None:
    messages, events = await run(ValidateContactForm(), tracker("demain peut-être", language="fr", slots=IN_FORM,
                                                                active_loop="contact_form"))
    assert events == [SlotSet("contact", None)]
    assert messages[0]["custom"] == {"outcome": "contact_invalid", "lang": "fr", "text": messages[0]["text"]}
    assert "adresse e-mail" in messages[0]["text"] and "non" in messages[0]["text"]


async def test_a_no_extracts_nothing_so_that_the_deny_rule_stops_the_form() -> None:
    messages, events = await run(ValidateContactForm(), tracker("no thanks", intent="deny", slots=IN_FORM,
                                                                active_loop="contact_form"))
    assert (messages, events) == ([], [])
    # A contact is a contact, even when NLU takes it for a no.
    _, events = await run(ValidateContactForm(), tracker("jane.doe@example.com", intent="deny", slots=IN_FORM,
                                                         active_loop="contact_form"))
    assert events == [SlotSet("contact", "jane.doe@example.com")]


async def test_the_message_that_starts_the_form_is_not_taken_as_the_contact() -> None:
    messages, events = await run(ValidateContactForm(), tracker("I want to talk to a person", intent="request_human"))
    assert (messages, events) == ([], [])
    # Nor is an intent the web app triggers while the form is open.
    messages, events = await run(ValidateContactForm(), tracker("", intent="EXTERNAL_no_agent", slots=IN_FORM,
                                                                active_loop="contact_form"))
    assert (messages, events) == ([], [])


async def test_a_ticket_is_filed_with_the_contact_and_the_hand_over_reason(redis_client: Redis) -> None:
    slots = {"contact": "+33612345678", "handover_reason": "complaint", "handover_route": "ticket"}
    messages, events = await run(ActionFileTicket(redis=redis_client),
                                 tracker("06 12 34 56 78", language="fr", slots=slots, sender_id="conv-42"))
    custom = messages[0]["custom"]
    ticket = await get_ticket(redis_client, custom["ticket"])
    assert ticket is not None
    assert (ticket.conversation_id, ticket.contact, ticket.lang, ticket.reason) == ("conv-42", "+33612345678", "fr", "complaint")
    assert (custom["outcome"], custom["reason"], custom["lang"]) == ("ticket", "complaint", "fr")
    assert custom["ticket"] in messages[0]["text"] and "+33612345678" in messages[0]["text"]
    assert SlotSet("contact", None) in events and SlotSet("handover_route", None) in events


async def test_a_ticket_that_cannot_be_filed_says_so() -> None:
    nowhere = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")  # no long retries, unlike handoff.connection
    try:
        messages, events = await run(ActionFileTicket(redis=nowhere), tracker("jane@example.com", slots={"contact": "jane@example.com"}))
    finally:
        await nowhere.aclose()
    assert (messages[0]["custom"]["outcome"], messages[0]["custom"]["ticket"]) == ("ticket_failed", None)
    assert SlotSet("contact", None) in events


async def test_a_chat_that_waited_too_long_is_offered_a_ticket_for_its_hand_over_reason(redis_client: Redis) -> None:
    messages, events = await run(ActionOfferTicket(redis=redis_client),
                                 tracker("", intent="EXTERNAL_no_agent", language="fr",
                                         slots={"handover_reason": "complaint", "handover_route": "agent"}))
    custom = messages[0]["custom"]
    assert (custom["outcome"], custom["route"], custom["reason"], custom["lang"]) == ("escalate", "ticket", "complaint", "fr")
    assert "à temps" in messages[0]["text"]
    assert events == [SlotSet("handover_route", "ticket")]
    assert await open_tickets(redis_client) == []
