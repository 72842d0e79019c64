"""The values of a canned reply's variables for one conversation, read from its messages.

- `{ticket_number}`: the ticket the bot filed in this conversation (its reply of outcome "ticket"),
  the latest if several; none otherwise (the conversation id is the customer's credential: it is
  never written into a message in its place).
- `{article_link}`, `{article_title}`: the article of the bot's last answer (or of a hand-over naming
  one); else the best article suggested to the advisor for the customer's latest message. The link is
  absolute (`<web app>/help/<article id>`): the customer reads it in the widget on another site."""
from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote

from handoff.agents import Agent
from handoff.canned.replies import CannedReply
from handoff.canned.variables import Variable, fill
from handoff.conversations import ConversationStore, Message

# Messages read back from the newest: a canned reply needs the recent part of the conversation.
MESSAGES_READ = 1000
ARTICLE_OUTCOMES = frozenset({"answer", "escalate"})


@dataclass(frozen=True)
class FilledReply:
    reply: CannedReply
    text: str
    unfilled: list[str]  # variables without a value here, left as written

    def public(self) -> dict[str, object]:
        return {"id": self.reply.id, "shortcut": self.reply.shortcut, "title": self.reply.title,
                "lang": self.reply.lang, "text": self.text, "unfilled": self.unfilled}


def _ticket(newest_first: list[Message]) -> str | None:
    for message in newest_first:
        reply = message.reply or {}
        if message.kind == "bot" and reply.get("outcome") == "ticket" and reply.get("ticket"):
            return str(reply["ticket"])
    return None


def _suggested(message: Message) -> tuple[str, str] | None:
    try:
        items = json.loads(message.details.get("items") or "[]")
    except ValueError:
        return None
    best = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
    return (str(best["article"]), str(best.get("title") or best["article"])) if best.get("article") else None


def _article(newest_first: list[Message]) -> tuple[str, str] | None:
    """(article id, title) of the bot's last answer, else of the latest suggestion to the advisor."""
    for message in newest_first:
        reply = message.reply or {}
        article = reply.get("article")
        if message.kind == "bot" and article and reply.get("outcome") in ARTICLE_OUTCOMES:
            cited = [s for s in reply.get("sources") or [] if isinstance(s, dict) and s.get("article") == article]
            return str(article), str((cited[0].get("title") if cited else None) or article)
    for message in newest_first:
        if message.kind == "suggestions" and (suggested := _suggested(message)):
            return suggested
    return None


def help_link(base_url: str, article: str) -> str:
    return f"{base_url.rstrip('/')}/help/{quote(article, safe='/')}"


async def filled(reply: CannedReply, store: ConversationStore, conversation_id: str, agent: Agent,
                 base_url: str) -> FilledReply:
    newest_first = await store.messages_before(conversation_id, "+", count=MESSAGES_READ, inclusive=True)
    article = _article(newest_first)
    values = {
        Variable.AGENT_NAME.value: agent.display_name,
        Variable.TICKET_NUMBER.value: _ticket(newest_first),
        Variable.ARTICLE_LINK.value: help_link(base_url, article[0]) if article else None,
        Variable.ARTICLE_TITLE.value: article[1] if article else None,
    }
    text, unfilled = fill(reply.text, values)
    return FilledReply(reply, text, unfilled)
