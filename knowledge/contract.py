"""Turning Rasa REST channel output into one reply object per bot utterance."""
from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12


class BotReply(TypedDict, total=False):
    text: str
    outcome: str
    article: str | None
    confidence: float | None
    reason: str | None
    lang: str
    sources: list[dict[str, Any]]
    route: str | None  # on an escalation: "agent" (queue) or "ticket" (no agent online: the bot takes contact details)
    topic: str | None  # the sensitive topic (knowledge/sensitive_topics.yml) that triggered an escalation
    offer: str | None  # "advisor" when the bot offers a person (low confidence)
    ticket: str | None  # outcome "ticket": the ticket number filed
    buttons: list[dict[str, str]]


def group_rasa_messages(messages: list[dict[str, Any]]) -> list[BotReply]:
    """Rasa sends an utterance as its text (split on blank lines) then its custom payload."""
    replies: list[BotReply] = []
    pending_text: list[str] = []
    pending_buttons: list[dict[str, str]] = []
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
