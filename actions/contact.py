"""No advisor can take the chat: ask for an email address or phone number, then file a ticket."""
from __future__ import annotations

import logging
import re
from dataclasses import replace

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict
from redis.exceptions import RedisError

from actions import slots
from actions.collaborators import CollaboratingAction
from actions.dialogue.clarification import answer_from
from actions.contact_details import attempts_contact, parse_contact
from actions.conversation import conversation_language, handover_reason, intent_of, remember, turn_context
from actions.excerpts import answer_reply, urgent_steps_for
from actions.replies import say
from actions.dialogue.short_answers import is_accepting, is_leaving
from handoff.tickets import file_ticket
from knowledge import wording
from knowledge.answering.engine import KnowledgeEngine
from knowledge.answering.followups import decide_in_context, next_context, on_topic, topic_words
from knowledge.contract import Decision, EscalationReason, Outcome, Reply, Route

logger = logging.getLogger(__name__)

# Answers that are neither a contact nor a question, after which the bot goes on without one.
INVALID_ENTRIES_BEFORE_GIVING_UP = 2
# Questions answered while the form waits, after which the bot stops asking for a contact.
QUESTIONS_BEFORE_DROPPING = 2


def _leave_form() -> list[EventType]:
    """Ends contact_form without a contact: the ticket rule then files nothing."""
    return [*_counters(0, 0), SlotSet(REQUESTED_SLOT, None)]


def _counters(attempts: int, questions: int) -> list[EventType]:
    # Always set, even unchanged: a validation that sets no slot makes Rasa reject the form's turn.
    return [SlotSet(slots.CONTACT_ATTEMPTS, float(attempts)), SlotSet(slots.FORM_QUESTIONS, float(questions))]


# Topic words from which a message that is no contact is a question rather than a typo.
QUESTION_TOPIC_WORDS = 4


_QUESTION_START = re.compile(
    r"^\s*(?:what|how|where|when|which|who|why|can|could|do|does|is|are|should|will|would|"
    r"quel|quelle|quels|quelles|comment|où|ou|quand|combien|pourquoi|est-ce|est ce|vous pouvez|je peux|je dois|faut-il)\b",
    re.IGNORECASE,
)


def _reads_as_question(text: str) -> bool:
    """A question has a topic: "hello?" or "ok?" is not one."""
    words = len(topic_words(text))
    return words > 0 and (text.rstrip().endswith("?") or bool(_QUESTION_START.match(text))
                          or words >= QUESTION_TOPIC_WORDS)


def _about_the_hand_over(decision: Decision) -> bool:
    """A decision that could be about the topic handed over: a decline, a request for a person, or
    another sensitive article; not a complaint, and not a confident answer."""
    if decision.outcome is Outcome.DECLINE:
        return True
    return decision.outcome is Outcome.ESCALATE and decision.reason in (
        EscalationReason.CUSTOMER_REQUEST.value, EscalationReason.SENSITIVE.value)


def _as_answer(engine: KnowledgeEngine, decision: Decision) -> Decision | None:
    """What a question asked inside the form is answered with: an answer, or the article of a
    sensitive hand-over (the customer is already waiting for an advisor to get back to them)."""
    if decision.outcome is Outcome.ANSWER and decision.article:
        return decision
    if decision.outcome is Outcome.ESCALATE and urgent_steps_for(engine, decision) and decision.article:
        return answer_from(engine, decision.article, decision.lang)
    return None


class ValidateContactForm(CollaboratingAction, FormValidationAction):
    """Reads each answer to "leave your email address or phone number", as a person would:

    - an email address or phone number (anywhere in the message) is kept, normalised;
    - "no", "cancel", "non merci"… leaves the form, and no ticket is filed;
    - a real question is answered (a sensitive article's too; one the help centre cannot
      answer is declined), then the form is offered again; after a second question it is dropped;
    - "yes" asks for the contact itself; a request for a person or a complaint says an advisor
      will call back (an escalation whose route is the ticket under way);
    - anything else asks again, and the second time the bot goes on without a contact.
    """

    def name(self) -> str:
        return "validate_contact_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if tracker.get_slot(REQUESTED_SLOT) != slots.CONTACT:  # the form is starting: nothing was asked yet
            return []
        text = (tracker.latest_message.get("text") or "").strip()
        if not text:  # an intent the web app triggered (EXTERNAL_no_agent), not a customer's answer
            return []
        contact = parse_contact(text)
        if contact is not None:
            return [SlotSet(slots.CONTACT, contact.value), *_counters(0, 0)]
        lang = conversation_language(tracker)
        attempts = int(tracker.get_slot(slots.CONTACT_ATTEMPTS) or 0)
        questions = int(tracker.get_slot(slots.FORM_QUESTIONS) or 0)
        if is_leaving(text):
            say(dispatcher, Reply(Outcome.NO_TICKET, lang, wording.text("utter_no_ticket", lang)))
            return _leave_form()

        engine = self.service.engine()
        question_lang = engine.language_of(text, fallback=lang)
        context = turn_context(tracker)
        understood = decide_in_context(engine, text, question_lang, context)
        remembered = remember(tracker, next_context(context, text, understood))
        decision = understood.decision
        if _about_the_hand_over(decision) and context is not None and _reads_as_question(text):
            # A question while waiting is most likely about what was handed over ("what number
            # do I call you on?" after a SIM swap): that article answers it when it can.
            decision = on_topic(engine, context, text, question_lang) or decision
        answer = _as_answer(engine, decision)
        asked = answer is not None or (decision.outcome is Outcome.DECLINE and _reads_as_question(text))
        if asked:
            if answer is not None:
                say(dispatcher, answer_reply(engine, understood.understood_as, answer, self.service.settings))
            else:  # a question the help centre cannot answer: said so, not taken for a wrong contact
                say(dispatcher, Reply.from_decision(decision))
            if questions + 1 >= QUESTIONS_BEFORE_DROPPING:
                say(dispatcher, Reply(Outcome.NO_TICKET, question_lang, wording.text("utter_contact_dropped", question_lang)))
                return remembered + _leave_form()
            say(dispatcher, Reply(Outcome.SMALLTALK, question_lang, wording.text("utter_contact_reminder", question_lang)))
            return remembered + _counters(attempts, questions + 1)
        intent = str(intent_of(tracker).get("name"))
        if intent == "deny":
            say(dispatcher, Reply(Outcome.NO_TICKET, lang, wording.text("utter_no_ticket", lang)))
            return _leave_form()
        if is_accepting(text) or intent == "affirm":
            say(dispatcher, Reply(Outcome.SMALLTALK, lang, wording.text("utter_ask_contact_details", lang)))
            return _counters(attempts, questions)
        # "I want a person": one will call back ("my number is 12345" is a mistyped contact, not a request).
        if decision.outcome is Outcome.ESCALATE and topic_words(text) and not attempts_contact(text):
            text_for_advisor = wording.text("utter_contact_for_advisor", lang)
            say(dispatcher, Reply.from_decision(replace(decision, lang=lang), text_for_advisor, route=Route.TICKET))
            return _counters(attempts, questions)
        if attempts + 1 >= INVALID_ENTRIES_BEFORE_GIVING_UP:
            say(dispatcher, Reply(Outcome.NO_TICKET, lang, wording.text("utter_contact_go_on_without", lang)))
            return _leave_form()
        say(dispatcher, Reply(Outcome.CONTACT_INVALID, lang, wording.text("utter_contact_invalid", lang)))
        return _counters(attempts + 1, questions)


class ActionFileTicket(CollaboratingAction):
    """contact_form is complete: an advisor will get back to the customer."""

    def name(self) -> str:
        return "action_file_ticket"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        lang = conversation_language(tracker)
        contact = str(tracker.get_slot(slots.CONTACT) or "")
        reason = handover_reason(tracker)
        done = slots.changed(tracker, {
            slots.CONTACT: None, slots.HANDOVER_ROUTE: None, slots.HANDOVER_REASON: None,
            slots.CONTACT_ATTEMPTS: 0.0, slots.FORM_QUESTIONS: 0.0,
        })
        if not contact:  # the customer left the form (validate_contact_form said so): no ticket
            return done
        try:
            ticket = await file_ticket(self.redis, tracker.sender_id, contact, lang, reason.value,
                                       self.handoff_settings.ticket_retention_s)
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
