"""Simulated customers talking to the bot over the widget's path: POST a message to the web app's
customer API and read the bot's replies from the response, as widget.js does."""
from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from knowledge.contract import BotReply, group_rasa_messages
from ops.bench_load import Budget, Pace, Samples, progress_bar

# Asking whether this is a bot: intent bot_challenge. Since issue 12 small talk goes through action_answer_question
# too (one action call, the knowledge base consulted): utter_iamabot, or utter_still_here the third time in a row
# (actions/dialogue/smalltalk.py: the bot never sends the same text three times running).
BARE_TURNS = (("are you a bot?", "en"), ("are you a robot?", "en"), ("tu es un robot ?", "fr"))
BARE_REPLY_STARTS = ("I'm a virtual assistant", "Je suis un assistant virtuel", "I'm still here", "Je reste là")
# After these the conversation is no longer the bot's to answer (a person, a form): the customer leaves.
LEAVING_OUTCOMES = {"decline", "escalate"}


@dataclass(frozen=True)
class Message:
    text: str
    lang: str


def answerable_questions(dev_file: Path) -> list[Message]:
    """The dev questions the help centre has an article for (not the ones that should escalate or be declined)."""
    messages = []
    for line in dev_file.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("expected") not in (None, "no_answer") and not row.get("reason"):
            messages.append(Message(row["text"], row["lang"]))
    if not messages:
        raise ValueError(f"{dev_file}: no answerable question (rows with an `expected` article and no `reason`)")
    return messages


def bare_turns() -> list[Message]:
    return [Message(text, lang) for text, lang in BARE_TURNS]


def is_bare_reply(replies: list[BotReply]) -> bool:
    return bool(replies) and str(replies[0].get("text", "")).startswith(BARE_REPLY_STARTS)


def is_knowledge_reply(replies: list[BotReply]) -> bool:
    return bool(replies) and replies[0].get("outcome") in ("answer", "decline", "escalate", "smalltalk")


ReplyCheck = Callable[[list[BotReply]], bool]


class WidgetChannel:
    """The web app's customer API, as widget.js uses it."""

    name = "web app"

    async def start(self, http: httpx.AsyncClient, samples: Samples) -> str | None:
        try:
            response = await http.post("/api/conversations")
            response.raise_for_status()
            return str(response.json()["conversation_id"])
        except (httpx.HTTPError, KeyError, ValueError) as error:
            samples.error(f"new conversation: {type(error).__name__}")
            return None

    async def send(self, http: httpx.AsyncClient, conversation_id: str, message: Message) -> tuple[int, list[BotReply], str]:
        body = {"text": message.text, "lang": message.lang, "client_id": uuid.uuid4().hex}
        response = await http.post(f"/api/conversations/{conversation_id}/messages", json=body)
        if response.status_code != 200:
            return response.status_code, [], ""
        turn = response.json()
        return 200, turn.get("replies") or [], str(turn.get("owner"))


class RasaRestChannel:
    """Rasa's REST channel directly, without the web app: what our Rasa model alone costs."""

    name = "Rasa REST"

    async def start(self, http: httpx.AsyncClient, samples: Samples) -> str | None:
        return uuid.uuid4().hex

    async def send(self, http: httpx.AsyncClient, conversation_id: str, message: Message) -> tuple[int, list[BotReply], str]:
        response = await http.post("/webhooks/rest/webhook", json={
            "sender": conversation_id, "message": message.text, "metadata": {"lang": message.lang}})
        if response.status_code != 200:
            return response.status_code, [], ""
        return 200, group_rasa_messages(response.json()), "bot"


Channel = WidgetChannel | RasaRestChannel


async def timed_turn(channel: Channel, http: httpx.AsyncClient, conversation_id: str, message: Message,
                     samples: Samples, check: ReplyCheck) -> str | None:
    """One customer message; its latency runs from the POST to the bot's replies parsed.
    Returns the first reply's outcome, or None on an error."""
    started = time.perf_counter()
    try:
        status, replies, owner = await channel.send(http, conversation_id, message)
    except (httpx.HTTPError, ValueError) as error:
        samples.error(type(error).__name__)
        return None
    elapsed_ms = (time.perf_counter() - started) * 1000
    if status != 200:
        samples.error(f"HTTP {status}")
        return None
    if owner != "bot" and not replies:
        samples.error(f"owner {owner}")
        return None
    if not check(replies):
        samples.error("unexpected reply")
        return None
    outcome = str(replies[0].get("outcome") or "text")
    samples.record(elapsed_ms, outcome)
    return outcome


async def customer(channel: Channel, http: httpx.AsyncClient, messages: list[Message], check: ReplyCheck,
                   pace: Pace, budget: Budget, samples: Samples, rng: random.Random) -> None:
    """One person after another at the same seat: a few messages each, then a new conversation."""
    if pace.pause_s:
        await asyncio.sleep(rng.uniform(0, pace.pause_s))  # people do not all arrive at once
    while not budget.done():
        conversation_id = await channel.start(http, samples)
        if conversation_id is None:
            await asyncio.sleep(pace.pause(rng) or 0.1)
            continue
        for _ in range(pace.conversation_length(rng)):
            if not budget.take():
                return
            outcome = await timed_turn(channel, http, conversation_id, rng.choice(messages), samples, check)
            if outcome is None or outcome in LEAVING_OUTCOMES:
                break
            if pace.pause_s:
                await asyncio.sleep(min(pace.pause(rng), budget.left_s()))


async def run_customers(url: str, name: str, messages: list[Message], check: ReplyCheck, concurrency: int,
                        pace: Pace, budget: Budget, seed: int = 0, show_progress: bool = True,
                        channel: Channel | None = None) -> Samples:
    """`concurrency` customers on `channel` (the web app at `url` by default) until `budget` runs out."""
    channel = channel or WidgetChannel()
    samples = Samples(name)
    if show_progress:
        samples.progress = progress_bar(f"{name} ({budget.seconds:g} s or {budget.max_turns} turns)", "turn")
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=concurrency * 2)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        await asyncio.gather(*(customer(channel, http, messages, check, pace, budget, samples,
                                        random.Random(seed * 1000 + i)) for i in range(concurrency)))
    samples.finish()
    return samples
