"""Names of the slots the actions read and set (declared in domain.yml)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

LANGUAGE = "language"
# True while the bot waits for a yes or no to "Would you like to talk to an advisor?".
HANDOVER_OFFERED = "handover_offered"
# Unsure (low-confidence) declines in a row; the second one hands over.
LOW_CONFIDENCE_COUNT = "low_confidence_count"
# Why the conversation was handed over (an EscalationReason value), kept for the ticket.
HANDOVER_REASON = "handover_reason"
# "agent" (the web app queues the chat) or "ticket" (no advisor online: the contact form starts).
HANDOVER_ROUTE = "handover_route"
# The customer's email address or phone number, normalised, asked by contact_form.
CONTACT = "contact"
# contact_form: answers that were neither a contact nor a question, and questions answered meanwhile.
CONTACT_ATTEMPTS = "contact_attempts"
FORM_QUESTIONS = "form_questions"
# The conversation's last question that stood on its own: follow-ups are read with it
# (knowledge/answering/followups.py).
CONTEXT_QUESTION = "context_question"
# The article the last turn was about (answered, or the favourite of an unsure decline).
CONTEXT_ARTICLE = "context_article"
# Whether the bot answered from that article (rather than being unsure about it).
CONTEXT_ANSWERED = "context_answered"
# The article ids offered by "Did you mean: A / B?", until the customer's next message.
CLARIFY_OPTIONS = "clarify_options"


def changed(tracker: Tracker, values: dict[str, Any]) -> list[SlotSet]:
    """SlotSet events for the values that differ from the tracker's, so trackers stay short."""
    return [SlotSet(name, value) for name, value in values.items() if tracker.get_slot(name) != value]
