"""The contact form and tickets, with in-memory trackers and a real Redis."""
from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from redis.asyncio import Redis

from actions.contact import ActionFileTicket, ActionOfferTicket, ValidateContactForm
from actions.contact_details import ContactKind, parse_contact
from handoff.settings import HandoffSettings
from handoff.tickets import get_ticket, open_tickets
from knowledge import wording
from knowledge.answering.sensitive_topics import SensitiveTopicsFile
from knowledge.answering.service import KnowledgeService
from knowledge.settings import SENSITIVE_TOPICS
from ops.stack import free_port
from tests.actions.trackers import run, tracker

pytestmark = pytest.mark.anyio

IN_FORM = {"requested_slot": "contact"}
FORM_ENDS = SlotSet("requested_slot", None)


@pytest.fixture
def form(sample_service: KnowledgeService, redis_client: Redis) -> ValidateContactForm:
    """The form's validation over the sample help centre: questions asked meanwhile are answered from it."""
    return ValidateContactForm(sample_service, SensitiveTopicsFile(SENSITIVE_TOPICS), redis_client, HandoffSettings())


def in_form(text: str, intent: str = "ask_question", language: str = "en", **slots: Any) -> Any:
    """The customer's answer while contact_form waits for a contact."""
    return tracker(text, intent=intent, language=language, slots={**IN_FORM, "handover_reason": "customer_request",
                                                                  "handover_route": "ticket", **slots},
                   active_loop="contact_form")


def slot_values(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


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


async def test_the_form_keeps_a_valid_email_address(form: ValidateContactForm) -> None:
    messages, events = await run(form, in_form("jane.doe@example.com", intent="nlu_fallback"))
    assert SlotSet("contact", "jane.doe@example.com") in events
    assert FORM_ENDS not in events  # the form completes with its slot filled, and the ticket is filed
    assert messages == []


async def test_the_form_keeps_a_french_phone_number_in_international_format(form: ValidateContactForm) -> None:
    _, events = await run(form, in_form("06 12 34 56 78", language="fr"))
    assert SlotSet("contact", "+33612345678") in events


async def test_the_form_asks_again_in_the_customer_language_for_anything_else(form: ValidateContactForm) -> None:
    messages, events = await run(form, in_form("demain peut-être", language="fr"))
    assert messages[0]["custom"] == {"outcome": "contact_invalid", "lang": "fr", "text": messages[0]["text"]}
    assert "adresse e-mail" in messages[0]["text"] and "non" in messages[0]["text"]
    assert slot_values(events)["contact_attempts"] == 1.0
    assert "contact" not in slot_values(events) and FORM_ENDS not in events


@pytest.mark.parametrize(
    ("text", "intent", "lang"),
    [("no thanks", "deny", "en"), ("stop", "nlu_fallback", "en"), ("cancel", "ask_question", "en"),
     ("annuler", "nlu_fallback", "fr"), ("non merci", "deny", "fr"), ("laisse tomber", "ask_question", "fr")],
)
async def test_no_cancel_or_stop_ends_the_form_without_a_ticket(
    form: ValidateContactForm, text: str, intent: str, lang: str
) -> None:
    messages, events = await run(form, in_form(text, intent=intent, language=lang))
    no_ticket = wording.text("utter_no_ticket", lang)
    assert [(m["text"], m["custom"]["outcome"], m["custom"]["lang"]) for m in messages] == [(no_ticket, "no_ticket", lang)]
    assert FORM_ENDS in events
    assert not slot_values(events).get("contact")


async def test_a_contact_is_a_contact_even_when_nlu_takes_it_for_a_no(form: ValidateContactForm) -> None:
    messages, events = await run(form, in_form("jane.doe@example.com", intent="deny"))
    assert SlotSet("contact", "jane.doe@example.com") in events
    assert FORM_ENDS not in events and messages == []


@pytest.mark.parametrize(("text", "lang"), [("yes", "en"), ("yes please", "en"), ("oui", "fr"), ("d'accord", "fr")])
async def test_yes_asks_for_the_contact_itself(form: ValidateContactForm, text: str, lang: str) -> None:
    messages, events = await run(form, in_form(text, intent="affirm", language=lang))
    assert [m["text"] for m in messages] == [wording.text("utter_ask_contact_details", lang)]
    assert FORM_ENDS not in events
    assert slot_values(events)["contact_attempts"] == 0.0  # not an invalid entry


async def test_asking_for_a_person_in_the_form_says_one_will_get_back(form: ValidateContactForm) -> None:
    messages, events = await run(form, in_form("I want to talk to a person", intent="request_human"))
    assert [m["text"] for m in messages] == [wording.text("utter_contact_for_advisor", "en")]
    assert FORM_ENDS not in events


@pytest.mark.parametrize(
    ("text", "lang", "article"),
    [("how do I activate my esim", "en", "lumen/activate-sim-esim-en"),
     ("comment activer mon esim", "fr", "lumen/activate-sim-esim-fr")],
)
async def test_a_question_in_the_form_is_answered_and_the_form_goes_on(
    form: ValidateContactForm, text: str, lang: str, article: str
) -> None:
    messages, events = await run(form, in_form(text, language=lang))
    answer, reminder = messages
    assert (answer["custom"]["outcome"], answer["custom"]["article"], answer["custom"]["lang"]) == ("answer", article, lang)
    assert reminder["text"] == wording.text("utter_contact_reminder", lang)
    values = slot_values(events)
    assert (values["form_questions"], values["contact_attempts"]) == (1.0, 0.0)
    assert values["context_question"] == text
    assert FORM_ENDS not in events and "contact" not in values


async def test_a_second_question_in_the_form_is_answered_and_the_form_dropped(form: ValidateContactForm) -> None:
    messages, events = await run(form, in_form("how do I reset my password", form_questions=1.0,
                                               context_question="how do I activate my esim"))
    answer, dropped = messages
    assert (answer["custom"]["outcome"], answer["custom"]["article"]) == ("answer", "lumen/reset-password-en")
    assert dropped["text"] == wording.text("utter_contact_dropped", "en")
    assert FORM_ENDS in events
    assert slot_values(events)["form_questions"] == 0.0


@pytest.mark.parametrize(
    ("stolen", "question", "lang"),
    [("my phone was stolen", "how do I block my sim?", "en"),
     ("on m'a volé mon téléphone", "comment bloquer ma sim ?", "fr")],
)
async def test_a_question_about_the_sensitive_article_is_answered_from_it_in_the_form(
    form: ValidateContactForm, stolen: str, question: str, lang: str
) -> None:
    """The customer already waits for an advisor to get back to them: the stolen-phone article answers."""
    messages, events = await run(form, in_form(question, language=lang, handover_reason="sensitive", context_question=stolen))
    custom = messages[0]["custom"]
    assert (custom["outcome"], custom["article"], custom["lang"]) == ("answer", f"lumen/lost-stolen-phone-{lang}", lang)
    assert messages[1]["text"] == wording.text("utter_contact_reminder", lang)
    assert slot_values(events)["form_questions"] == 1.0 and FORM_ENDS not in events


@pytest.mark.parametrize(("first", "second", "lang"), [("tomorrow maybe", "later", "en"), ("demain peut-être", "plus tard", "fr")])
async def test_after_two_invalid_entries_the_bot_goes_on_without_a_contact(
    form: ValidateContactForm, first: str, second: str, lang: str
) -> None:
    messages, events = await run(form, in_form(first, intent="nlu_fallback", language=lang))
    assert [m["text"] for m in messages] == [wording.text("utter_contact_invalid", lang)]
    assert FORM_ENDS not in events
    messages, events = await run(form, in_form(second, intent="nlu_fallback", language=lang, **slot_values(events)))
    assert [m["text"] for m in messages] == [wording.text("utter_contact_go_on_without", lang)]
    assert FORM_ENDS in events


@pytest.mark.parametrize(("text", "lang"), [("call me back on 0612 3", "en"), ("rappelez-moi au 06 12 3", "fr"),
                                           ("my number is 12345", "en")])
async def test_a_mistyped_contact_is_an_invalid_entry_even_in_words_asking_for_a_person(
    form: ValidateContactForm, text: str, lang: str
) -> None:
    messages, events = await run(form, in_form(text, intent="request_human", language=lang))
    assert [m["custom"]["outcome"] for m in messages] == ["contact_invalid"]
    assert slot_values(events)["contact_attempts"] == 1.0


async def test_hello_and_hmm_in_the_form_are_invalid_entries(form: ValidateContactForm) -> None:
    messages, events = await run(form, in_form("hello?", intent="greet"))
    assert [m["text"] for m in messages] == [wording.text("utter_contact_invalid", "en")]
    messages, events = await run(form, in_form("hmm", intent="nlu_fallback", **slot_values(events)))
    assert [m["text"] for m in messages] == [wording.text("utter_contact_go_on_without", "en")]
    assert FORM_ENDS in events


async def test_the_message_that_starts_the_form_is_not_taken_as_the_contact(form: ValidateContactForm) -> None:
    messages, events = await run(form, tracker("I want to talk to a person", intent="request_human"))
    assert (messages, events) == ([], [])
    # Nor is an intent the web app triggers while the form is open.
    messages, events = await run(form, tracker("", intent="EXTERNAL_no_agent", slots=IN_FORM, active_loop="contact_form"))
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


async def test_a_form_left_without_a_contact_files_nothing_and_says_nothing(redis_client: Redis) -> None:
    slots = {"handover_reason": "customer_request", "handover_route": "ticket", "contact_attempts": 1.0}
    messages, events = await run(ActionFileTicket(redis=redis_client), tracker("no thanks", intent="deny", slots=slots))
    assert messages == []
    assert await open_tickets(redis_client) == []
    assert SlotSet("handover_route", None) in events and SlotSet("contact_attempts", 0.0) in events


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
