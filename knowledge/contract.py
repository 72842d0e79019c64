"""The reply contract: what a bot reply says, produced by the actions and read by the web app.

Outcomes, reasons, routes and offers are str Enums. `Reply` is a bot reply in typed form;
`Reply.payload()` is the one builder of the custom payload a bot message carries on the wire
(`BotReply`), and `parse_reply` reads such a payload back. `group_rasa_messages` turns Rasa's
REST channel output into one `BotReply` per bot utterance. The action server's suggestions
for advisors (`SUGGESTIONS_PATH`) are part of the contract too.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Union

from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12


class Outcome(str, Enum):
    ANSWER = "answer"
    ESCALATE = "escalate"
    DECLINE = "decline"
    SMALLTALK = "smalltalk"  # greetings, thanks, "ask me another question": no knowledge involved
    CONTACT_INVALID = "contact_invalid"  # the contact form's answer is neither an email address nor a phone number
    TICKET = "ticket"  # a ticket was filed: an advisor will get back to the customer
    TICKET_FAILED = "ticket_failed"  # the ticket could not be filed
    NO_TICKET = "no_ticket"  # the customer would rather not leave a contact (domain.yml's utter_no_ticket)


class DeclineReason(str, Enum):
    OUT_OF_SCOPE = "out_of_scope"  # nothing in the knowledge base is close
    LOW_CONFIDENCE = "low_confidence"  # something is close, not close enough to answer
    EMPTY_QUESTION = "empty_question"
    TOO_LONG = "too_long"
    EMPTY_KNOWLEDGE_BASE = "empty_knowledge_base"


class EscalationReason(str, Enum):
    SENSITIVE = "sensitive"  # a `handoff: true` article or a listed sensitive topic
    CUSTOMER_REQUEST = "customer_request"
    COMPLAINT = "complaint"
    NOT_HELPFUL = "not_helpful"  # the customer says an answer did not help
    LOW_CONFIDENCE = "low_confidence"  # the customer accepted the advisor offered after an unsure decline
    REPEATED_FAILURE = "repeated_failure"  # a second unsure decline in a row
    UNKNOWN = "unknown"  # a ticket, or a ticket offered, for a conversation that never recorded why it was handed over


Reason = Union[DeclineReason, EscalationReason]


class Route(str, Enum):
    AGENT = "agent"  # an advisor taking the customer's language is online: the web app queues the chat
    TICKET = "ticket"  # none is: the bot asks for an email or phone number (contact_form)


class Offer(str, Enum):
    ADVISOR = "advisor"  # after an unsure decline: "Would you like to talk to an advisor?" with Yes/No buttons
    CLARIFY = "clarify"  # after an unsure decline between two articles: "Did you mean…?", one button per article


@dataclass(frozen=True)
class Source:
    article: str
    title: str
    score: float


@dataclass(frozen=True)
class Decision:
    """What the knowledge base decides for a question, with the text that says it."""

    outcome: Outcome
    text: str
    lang: str
    article: str | None = None
    confidence: float | None = None
    reason: str | None = None  # a DeclineReason or EscalationReason value
    sources: list[Source] = field(default_factory=list)

    def payload(self) -> BotReply:
        """The machine-readable part of a bot reply, its text aside."""
        payload = Reply.from_decision(self).payload()
        del payload["text"]
        return payload


class SourcePayload(TypedDict):
    article: str
    title: str
    score: float


class Button(TypedDict):
    title: str
    payload: str  # what the client sends back when pressed, e.g. "/affirm"


class BotReply(TypedDict, total=False):
    """One bot reply as machine clients read it: the custom payload of a bot message.

    Which keys a reply has depends on its outcome (see `Reply.payload`).
    """

    text: str
    outcome: str
    article: str | None
    confidence: float | None
    reason: str | None
    lang: str | None
    sources: list[SourcePayload]
    route: str | None  # on an escalation: "agent" (queue) or "ticket" (no agent online: the bot takes contact details)
    topic: str | None  # the sensitive topic (knowledge/sensitive_topics.yml) that triggered an escalation
    offer: str | None  # "advisor" when the bot offers a person, "clarify" when it asks which article (low confidence)
    ticket: str | None  # outcome "ticket": the ticket number filed
    buttons: list[Button]
    # Only when set: the urgent steps (Markdown) of the sensitive article an escalation names,
    # shown at once at the head of `text` while the chat is handed over.
    steps: str
    # Only when set: where the whole article is ("/help/<article id>", on the web app) when
    # `text` shows part of it (the passage of a long article that answers, or urgent steps).
    more_url: str
    # Only when set: the reply closes the conversation (the bot's goodbye); the widget asks for a rating.
    ends: bool


# Replies that only say something: their payload is the outcome, the language and the text.
_SAYING_ONLY = frozenset({Outcome.SMALLTALK, Outcome.CONTACT_INVALID, Outcome.NO_TICKET})
_ABOUT_A_TICKET = frozenset({Outcome.TICKET, Outcome.TICKET_FAILED})


class MalformedReply(ValueError):
    """A payload outside the contract: no or an unknown outcome, or an unknown reason, route or offer."""


@dataclass(frozen=True)
class Reply:
    """A bot reply in typed form; `payload()` is what goes on the wire."""

    outcome: Outcome
    lang: str | None
    text: str
    reason: Reason | None = None
    article: str | None = None
    confidence: float | None = None
    sources: tuple[Source, ...] = ()
    route: Route | None = None  # set on every escalation
    topic: str | None = None
    offer: Offer | None = None
    buttons: tuple[Button, ...] = ()
    ticket: str | None = None
    steps: str | None = None  # on an escalation: the named article's urgent steps, also in `text`
    more_url: str | None = None  # the whole article, when `text` shows part of it
    ends: bool = False  # the conversation ends with it (the bot's goodbye)

    @classmethod
    def from_decision(
        cls, decision: Decision, text: str | None = None, *, route: Route | None = None, topic: str | None = None,
        offer: Offer | None = None, buttons: tuple[Button, ...] = (), steps: str | None = None,
        more_url: str | None = None,
    ) -> Reply:
        """The reply saying a decision: its own text unless `text` is given (a generated answer, a passage)."""
        return cls(
            decision.outcome, decision.lang, decision.text if text is None else text,
            parse_reason(decision.outcome, decision.reason), decision.article, decision.confidence,
            tuple(decision.sources), route, topic, offer, buttons, steps=steps, more_url=more_url,
        )

    def payload(self) -> BotReply:
        """The custom payload: the same keys, in the same order, that the web app and widget read."""
        reason = None if self.reason is None else self.reason.value
        if self.outcome in _SAYING_ONLY:
            saying: BotReply = {"outcome": self.outcome.value, "lang": self.lang, "text": self.text}
            if self.ends:
                saying["ends"] = True
            return saying
        if self.outcome in _ABOUT_A_TICKET:
            return {"outcome": self.outcome.value, "ticket": self.ticket, "reason": reason, "lang": self.lang,
                    "text": self.text}
        payload: BotReply = {
            "outcome": self.outcome.value,
            "article": self.article,
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "reason": reason,
            "lang": self.lang,
            "sources": [{"article": s.article, "title": s.title, "score": round(s.score, 4)} for s in self.sources],
            "text": self.text,
        }
        if self.route is not None:
            payload.update(route=self.route.value, topic=self.topic)
        if self.offer is not None:
            payload.update(offer=self.offer.value, buttons=list(self.buttons))
        if self.steps is not None:
            payload["steps"] = self.steps
        if self.more_url is not None:
            payload["more_url"] = self.more_url
        return payload


def parse_reason(outcome: Outcome, value: str | None) -> Reason | None:
    """A decline's reason is a DeclineReason; any other outcome's an EscalationReason."""
    if value is None:
        return None
    try:
        return DeclineReason(value) if outcome is Outcome.DECLINE else EscalationReason(value)
    except ValueError:
        raise MalformedReply(f"unknown reason {value!r} for outcome {outcome.value!r}") from None


def parse_reply(payload: Mapping[str, Any]) -> Reply:
    """A bot reply's payload (or a `BotReply` from `group_rasa_messages`) in typed form.

    Raises MalformedReply when it is outside the contract.
    """
    try:
        outcome = Outcome(payload.get("outcome"))
        route = Route(payload["route"]) if payload.get("route") else None
        offer = Offer(payload["offer"]) if payload.get("offer") else None
    except ValueError as error:
        raise MalformedReply(str(error)) from None
    sources = tuple(
        Source(str(s["article"]), str(s.get("title", "")), float(s.get("score", 0.0)))
        for s in payload.get("sources") or [] if isinstance(s, Mapping) and s.get("article")
    )
    confidence = payload.get("confidence")
    return Reply(
        outcome, payload.get("lang"), str(payload.get("text") or ""), parse_reason(outcome, payload.get("reason")),
        payload.get("article"), None if confidence is None else float(confidence), sources, route,
        payload.get("topic"), offer, tuple(payload.get("buttons") or ()), payload.get("ticket"),
        _optional_text(payload, "steps"), _optional_text(payload, "more_url"), payload.get("ends") is True,
    )


def _optional_text(payload: Mapping[str, Any], key: str) -> str | None:
    value = payload.get(key)
    return str(value) if value else None


def group_rasa_messages(messages: list[dict[str, Any]]) -> list[BotReply]:
    """Rasa sends an utterance as its text (split on blank lines) then its custom payload."""
    replies: list[BotReply] = []
    pending_text: list[str] = []
    pending_buttons: list[Button] = []
    for message in messages:
        if "text" in message:
            pending_text.append(str(message["text"]))
        pending_buttons += message.get("buttons") or []
        if isinstance(message.get("custom"), dict):
            custom = dict(message["custom"])
            text = custom.pop("text", None) or "\n\n".join(pending_text)
            reply: BotReply = {**custom, "text": text}  # type: ignore[typeddict-item]
            if pending_buttons:
                reply["buttons"] = pending_buttons
            replies.append(reply)
            pending_text, pending_buttons = [], []
    if pending_text:
        reply = {"text": "\n\n".join(pending_text)}
        if pending_buttons:
            reply["buttons"] = pending_buttons
        replies.append(reply)
    return replies


# -- what a customer may send as an intent ---------------------------------------------------

# The payloads of the buttons the bot shows customers (utter_offer_advisor's Yes/No, the advisor
# button of "Did you mean…?"). Rasa reads any message starting with "/" as an intent: a customer
# must not be able to send "/EXTERNAL_no_agent" or any other internal intent.
CUSTOMER_PAYLOADS = frozenset({"/affirm", "/deny", "/request_human"})


def customer_text_for_bot(text: str) -> str:
    """The customer's message as the bot should read it: a button's payload as is, any other
    text starting with "/" as plain text (the slashes dropped)."""
    stripped = text.strip()
    if stripped in CUSTOMER_PAYLOADS or not stripped.startswith("/"):
        return text
    return stripped.lstrip("/").strip() or "?"


# -- suggestions for advisors: POST {SUGGESTIONS_PATH} on the action server ---------------

SUGGESTIONS_PATH = "/suggestions"


class SuggestionsRequest(TypedDict, total=False):
    text: str  # the customer's message
    lang: str | None  # the conversation's language; detected from the text when absent


class Suggestion(TypedDict):
    article: str
    title: str
    text: str  # the article's answer, cut for an advisor to judge
    confidence: float
    sources: list[SourcePayload]


class SuggestionsResponse(TypedDict):
    suggestions: list[Suggestion]  # best first
