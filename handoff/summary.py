"""The hand-over summary an advisor reads first: what the customer wants, what the bot already
answered or offered, language, reason and urgency.

Extractive by default (the customer's own topic-bearing messages); written by an LLM through an
OpenAI-compatible chat API when LLM_BASE_URL is set (knowledge/answering/llm.py), the extractive one on any failure.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import httpx
from typing_extensions import TypedDict

from handoff.conversations import Message
from handoff.settings import HandoffSettings
from knowledge.answering.llm import chat_model
from knowledge.contract import EscalationReason

log = logging.getLogger(__name__)

# The customer's request in one or two sentences: their last topic-bearing messages.
REQUEST_MESSAGES = 2
# What a customer message must be followed by to carry a topic: the bot found an article for it,
# or knew it was a complaint. "I want to speak to a human" is followed by none of these.
_TOPIC_OUTCOMES = frozenset({"answer"})
_TOPIC_REASONS = frozenset({"low_confidence", "complaint", "sensitive", "not_helpful"})
_LANGUAGES = {"en": "English", "fr": "French"}
# The extractive summary's own words, in the conversation's language (the advisor's).
_WORDS = {
    "en": {
        "answered": "Answered with “{title}”",
        "clarify": "Asked which topic was meant",
        "offered": "Could not answer; offered an advisor",
        "declined": "Could not answer",
        "not_helpful": "The customer said the answer did not help",
        "no_question": "No question before asking for an advisor.",
    },
    "fr": {
        "answered": "A répondu avec « {title} »",
        "clarify": "A demandé quel sujet était visé",
        "offered": "N'a pas su répondre ; a proposé un conseiller",
        "declined": "N'a pas su répondre",
        "not_helpful": "Le client a jugé la réponse inutile",
        "no_question": "Aucune question avant la demande de conseiller.",
    },
}
_SYSTEM = (
    "You write hand-over notes for customer-service advisors. In {language}, in at most two short "
    "sentences, say what the customer wants, then in one sentence what the assistant already "
    "answered or offered. Use only the transcript; invent nothing. Plain text, no greeting."
)


class HandoverSummary(TypedDict):
    text: str  # what the advisor reads first: the request, then what the bot did
    request: str  # the customer's own topic-bearing messages ("" when none had a topic)
    bot_did: list[str]  # what the bot already answered or offered, in order
    lang: str
    reason: str
    urgent: bool  # sensitive topics go first
    written_by: str  # "extract" or "llm"


def _title(reply: dict[str, Any]) -> str:
    article = reply.get("article") or ""
    cited = next((s for s in reply.get("sources") or [] if s.get("article") == article), None)
    return str((cited or {}).get("title") or article)


def _bears_topic(reply: dict[str, Any]) -> bool:
    if reply.get("outcome") in _TOPIC_OUTCOMES or reply.get("offer") == "clarify":
        return True
    return bool(reply.get("article")) or reply.get("reason") in _TOPIC_REASONS


def _what_the_bot_did(reply: dict[str, Any], words: dict[str, str]) -> str | None:
    outcome = reply.get("outcome")
    if outcome == "answer":
        return words["answered"].format(title=_title(reply))
    if reply.get("offer") == "clarify":
        titles = ", ".join(f"“{button['title']}”" for button in reply.get("buttons") or [] if button.get("title"))
        return f"{words['clarify']}: {titles}" if titles else words["clarify"]
    if reply.get("offer") == "advisor":
        return words["offered"]
    if outcome == "decline":
        return words["declined"]
    return None


def topic_questions(messages: Sequence[Message]) -> list[str]:
    """The customer's messages (oldest first) that the bot's next reply shows to carry a topic."""
    found: list[str] = []
    question: str | None = None
    for message in messages:
        if message.kind == "customer":
            question = None if message.text.strip().startswith("/") else message.text.strip()
        elif message.kind == "bot" and message.reply and question:
            if _bears_topic(dict(message.reply)):
                found.append(question)
            question = None
    return found


def extractive_summary(messages: Sequence[Message], lang: str, reason: str, topic: str | None) -> HandoverSummary:
    words = _WORDS.get(lang, _WORDS["en"])
    request = " ".join(_sentence(q) for q in topic_questions(messages)[-REQUEST_MESSAGES:])
    bot_did: list[str] = []
    for message in messages:
        did = _what_the_bot_did(dict(message.reply), words) if message.kind == "bot" and message.reply else None
        if message.kind == "feedback" and message.details.get("helpful") == "no":
            did = words["not_helpful"]
        if did and did not in bot_did[-1:]:
            bot_did.append(did)
    said = request or words["no_question"]
    text = f"{said} {'. '.join(bot_did)}." if bot_did else said
    return {"text": text, "request": request, "bot_did": bot_did, "lang": lang, "reason": reason,
            "urgent": reason == EscalationReason.SENSITIVE.value or bool(topic), "written_by": "extract"}


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text[-1:] in ".!?…" else f"{text}."


def transcript_lines(messages: Sequence[Message]) -> list[str]:
    lines = []
    for message in messages:
        if message.kind == "customer":
            lines.append(f"Customer: {message.text}")
        elif message.kind in ("bot", "agent") and message.text:
            lines.append(f"{'Assistant' if message.kind == 'bot' else 'Advisor'}: {message.text}")
    return lines


class SummaryWriter:
    """Writes the summary with the LLM when one is configured, else (or when it fails) extracts it."""

    def __init__(self, http: httpx.AsyncClient, settings: HandoffSettings) -> None:
        self.model = chat_model(settings, http_async_client=http)

    async def summarise(self, messages: Sequence[Message], lang: str, reason: str, topic: str | None) -> HandoverSummary:
        extracted = extractive_summary(messages, lang, reason, topic)
        if self.model is None:
            return extracted
        try:
            text = await self._ask_llm(messages, lang)
        except Exception as error:  # whatever the LLM or its client does, the advisor gets a summary
            log.warning("LLM hand-over summary failed, using the extractive one: %s", error)
            return extracted
        return {**extracted, "text": text, "written_by": "llm"}

    async def _ask_llm(self, messages: Sequence[Message], lang: str) -> str:
        assert self.model is not None
        reply = await self.model.ainvoke([
            ("system", _SYSTEM.format(language=_LANGUAGES.get(lang, "English"))),
            ("human", "\n".join(transcript_lines(messages))),
        ])
        text = str(reply.content).strip()
        if not text:
            raise ValueError("the LLM wrote an empty summary")
        return text
