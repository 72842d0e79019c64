"""No advisor can take the chat: ask for an email address or phone number, then file a ticket."""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict
from redis.exceptions import RedisError

from actions import slots
from actions.collaborators import CollaboratingAction
from actions.contact_details import parse_contact
from actions.conversation import conversation_language, handover_reason, intent_of
from actions.replies import say
from handoff.tickets import file_ticket
from knowledge import wording
from knowledge.contract import Outcome, Reply, Route

logger = logging.getLogger(__name__)


class ValidateContactForm(FormValidationAction):
    """Takes the customer's answer as the contact unless it is a plain no; accepts an email
    address or a phone number, normalised, and asks again otherwise."""

    def name(self) -> str:
        return "validate_contact_form"

    async def extract_contact(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if tracker.get_slot(REQUESTED_SLOT) != slots.CONTACT:  # the form is starting: nothing was asked yet
            return {}
        text = (tracker.latest_message.get("text") or "").strip()
        if not text:  # an intent the web app triggered (EXTERNAL_no_agent), not a customer's answer
            return {}
        if parse_contact(text) is None and intent_of(tracker).get("name") == "deny":
            return {}  # nothing extracted: the form rejects the turn and the deny rule stops it
        return {slots.CONTACT: text}

    async def validate_contact(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        contact = parse_contact(str(slot_value or ""))
        if contact is not None:
            return {slots.CONTACT: contact.value}
        lang = conversation_language(tracker)
        say(dispatcher, Reply(Outcome.CONTACT_INVALID, lang, wording.text("utter_contact_invalid", lang)))
        return {slots.CONTACT: None}


class ActionFileTicket(CollaboratingAction):
    """contact_form is complete: an advisor will get back to the customer."""

    def name(self) -> str:
        return "action_file_ticket"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        lang = conversation_language(tracker)
        contact = str(tracker.get_slot(slots.CONTACT) or "")
        reason = handover_reason(tracker)
        done = slots.changed(tracker, {slots.CONTACT: None, slots.HANDOVER_ROUTE: None, slots.HANDOVER_REASON: None})
        try:
            if not contact:
                raise ValueError("contact_form completed without a contact")
            ticket = await file_ticket(self.redis, tracker.sender_id, contact, lang, reason.value)
        except (RedisError, OSError, ValueError) as error:
            logger.error("ticket not filed for %s (%s: %s)", tracker.sender_id, type(error).__name__, error)
            say(dispatcher, Reply(Outcome.TICKET_FAILED, lang, wording.text("utter_ticket_failed", lang), reason))
            return done
        text = wording.text("utter_ticket_filed", lang, ticket=ticket.ticket_id, contact=contact)
        say(dispatcher, Reply(Outcome.TICKET, lang, text, reason, ticket=ticket.ticket_id))
        return done


class ActionOfferTicket(CollaboratingAction):
    """The web app triggers EXTERNAL_no_agent when a queued chat waited too long: offer a ticket.

    The reason given as the `reason` entity fills handover_reason; without one, the reason
    recorded at the hand-over stays.
    """

    def name(self) -> str:
        return "action_offer_ticket"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        lang = conversation_language(tracker)
        reason = handover_reason(tracker)
        text = wording.text("utter_no_advisor_in_time", lang)
        say(dispatcher, Reply(Outcome.ESCALATE, lang, text, reason, route=Route.TICKET))
        return slots.changed(tracker, {slots.HANDOVER_ROUTE: Route.TICKET.value, slots.HANDOVER_REASON: reason.value})
