"""The handoff as the web app drives it: customer messages go to the bot or to the agent who
owns the chat, escalations enter the queue, and Rasa's tracker learns what the agent said."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import asdict, dataclass
from typing import Any

from handoff.agents import Agent, online_agent_count
from handoff.connection import raise_if_cancelled
from handoff.conversations import ConversationStore, Escalation, Message
from handoff.ownership import Owner
from handoff.rasa_client import RasaClient, RasaUnavailable
from handoff.suggestions import SuggestionClient
from handoff.summary import SummaryWriter
from knowledge.contract import (
    BotReply,
    customer_text_for_bot,
    EscalationReason,
    MalformedReply,
    Outcome,
    Reply,
    Route,
    group_rasa_messages,
    parse_reply,
)

log = logging.getLogger(__name__)

NO_AGENT_INTENT = "EXTERNAL_no_agent"
NOT_HELPFUL_INTENT = "answer_not_helpful"
# Customer messages before the latest looked at for a topic, and messages a summary reads.
EARLIER_MESSAGES = 20
SUMMARY_MESSAGES = 200


@dataclass(frozen=True)
class CustomerTurn:
    owner: Owner  # who owns the conversation once the turn is done
    message_id: str
    replies: list[Message]  # the bot's replies as stored (empty while a person owns the chat)


def _parsed(payload: BotReply) -> Reply | None:
    """The reply in typed form; None for a text-only reply, or (logged) one outside the contract."""
    if "outcome" not in payload:
        return None
    try:
        return parse_reply(payload)
    except MalformedReply as error:
        log.warning("a bot reply outside the contract, not taken as a hand-over: %s", error)
        return None


def escalation_in(replies: list[BotReply], question: str) -> Escalation | None:
    """The first bot reply that hands the chat to an agent's queue (route "ticket" means: the bot
    collects contact details instead), as the queue takes it."""
    for reply in filter(None, map(_parsed, replies)):
        if reply.outcome is Outcome.ESCALATE and reply.route in (None, Route.AGENT):
            reason = reply.reason if isinstance(reply.reason, EscalationReason) else EscalationReason.CUSTOMER_REQUEST
            package = {"article": reply.article, "confidence": reply.confidence,
                       "sources": [asdict(source) for source in reply.sources], "topic": reply.topic}
            return Escalation(reason, reply.lang or "en", {**package, "question": question})
    return None


def tracker_events(messages: list[Message]) -> list[dict[str, Any]]:
    """The human part of a conversation as Rasa tracker events, agent turns marked with their author."""
    events: list[dict[str, Any]] = []
    for message in messages:
        if message.kind == "customer":
            events += [{"event": "action", "name": "action_listen"},
                       {"event": "user", "text": message.text, "timestamp": message.at / 1000,
                        # No intent: the bot did not interpret what the customer told the agent.
                        "parse_data": {"text": message.text, "intent": {}, "entities": []},
                        "metadata": {"handled_by": "agent"}}]
        elif message.kind == "agent":
            events.append({"event": "bot", "text": message.text, "timestamp": message.at / 1000,
                           "metadata": {"agent": message.agent, "agent_name": message.agent_name}})
    return events


class HandoffRelay:
    def __init__(self, store: ConversationStore, rasa: RasaClient, suggestions: SuggestionClient,
                 summaries: SummaryWriter | None = None) -> None:
        self.store = store
        self.rasa = rasa
        self.suggestions = suggestions
        self.summaries = summaries
        self._tasks: set[asyncio.Task[None]] = set()

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def customer_says(self, conversation_id: str, text: str, lang: str | None, client_id: str = "") -> CustomerTurn:
        owner, message_id, retry = await self.store.customer_message(conversation_id, text, client_id)
        if owner is not Owner.BOT:
            if not retry:
                conversation_lang = (await self.store.status(conversation_id)).lang or lang or "en"
                self._in_background(self._suggest(conversation_id, message_id, text, conversation_lang))
            return CustomerTurn(owner, message_id, [])
        if retry and await self.store.messages(conversation_id, after=message_id, count=1):
            # The first copy was answered already: give the same answer back.
            return CustomerTurn(owner, message_id, await self._replies_after(conversation_id, message_id))
        said = customer_text_for_bot(text)
        replies = group_rasa_messages(await self.rasa.send_message(conversation_id, said, {"lang": lang}))
        if not replies:
            # What Rasa does when its action server is down: the customer retries (the message is
            # kept, and a retry with the same client_id asks again) instead of getting silence.
            raise RasaUnavailable("the assistant gave no reply (is the action server running?)")
        # A button press ("/request_human") says nothing about the topic: the agent wants the last question.
        question = text if not text.startswith("/") else await self._last_question(conversation_id, message_id)
        escalation = escalation_in(replies, question)
        status, _ = await self.store.bot_turn(conversation_id, replies, escalation, question)
        if status == "queued":
            await self._pause_bot(conversation_id)
            assert escalation is not None
            self._in_background(self._prepare_advisor(conversation_id, message_id, text, escalation))
        current = (await self.store.status(conversation_id)).owner
        return CustomerTurn(current, message_id, await self._replies_after(conversation_id, message_id))

    async def feedback(self, conversation_id: str, message_id: str, helpful: bool, lang: str | None) -> CustomerTurn:
        """A "no" on an answer tells the bot (intent answer_not_helpful), which hands over."""
        feedback_id = await self.store.feedback(conversation_id, message_id, helpful)
        owner = (await self.store.status(conversation_id)).owner
        if helpful or owner is not Owner.BOT:
            return CustomerTurn(owner, feedback_id, [])
        messages = await self.rasa.send_message(conversation_id, f"/{NOT_HELPFUL_INTENT}", {"lang": lang})
        replies = group_rasa_messages(messages)
        question = await self._question_answered_by(conversation_id, message_id)
        escalation = escalation_in(replies, question)
        status, _ = await self.store.bot_turn(conversation_id, replies, escalation, question)
        if status == "queued":
            await self._pause_bot(conversation_id)
            assert escalation is not None
            self._in_background(self._prepare_advisor(conversation_id, feedback_id, question, escalation))
        current = (await self.store.status(conversation_id)).owner
        return CustomerTurn(current, feedback_id, await self._replies_after(conversation_id, feedback_id))

    async def _last_question(self, conversation_id: str, before: str) -> str:
        earlier = await self.store.messages_before(conversation_id, before, count=50)
        return next((m.text for m in earlier if m.kind == "customer" and not m.text.startswith("/")), "")

    async def _question_answered_by(self, conversation_id: str, message_id: str) -> str:
        earlier = await self.store.messages_before(conversation_id, message_id, count=20, inclusive=True)
        return next((m.text for m in earlier if m.kind == "customer"), "")

    async def _replies_after(self, conversation_id: str, message_id: str) -> list[Message]:
        later = await self.store.messages(conversation_id, after=message_id, count=50)
        replies = []
        for message in later:
            if message.kind == "customer":
                break
            if message.kind in ("bot", "system"):
                replies.append(message)
        return replies

    async def _pause_bot(self, conversation_id: str) -> None:
        # Rasa itself stays silent too, should anything reach its REST channel directly.
        try:
            await self.rasa.append_events(conversation_id, [{"event": "pause"}])
        except Exception as error:  # the queue already holds the chat; the web app routes around the bot
            log.warning("could not pause the bot for %s: %s", conversation_id, error)

    async def _suggest(self, conversation_id: str, message_id: str, text: str, lang: str) -> None:
        """Suggestions for the customer's message, or for their earlier questions when it has no topic."""
        earlier = await self.store.messages_before(conversation_id, message_id, count=EARLIER_MESSAGES)
        questions = [m.text for m in earlier if m.kind == "customer" and not m.text.startswith("/")]
        items = await self.suggestions.suggest(conversation_id, text, lang, questions)
        await self.store.add_suggestions(conversation_id, message_id, items)

    async def _prepare_advisor(self, conversation_id: str, message_id: str, text: str, escalation: Escalation) -> None:
        """What the advisor reads on taking the chat: the hand-over summary and suggestions, side by
        side (an LLM writing the summary must not hold the suggestions up)."""
        await asyncio.gather(self._summarise(conversation_id, escalation),
                             self._suggest(conversation_id, message_id, text, escalation.lang))

    async def _summarise(self, conversation_id: str, escalation: Escalation) -> None:
        if self.summaries is None:
            return
        messages = await self.store.messages(conversation_id, count=SUMMARY_MESSAGES)
        summary = await self.summaries.summarise(messages, escalation.lang, escalation.reason.value,
                                                 escalation.package.get("topic"))
        await self.store.add_summary(conversation_id, dict(summary))

    async def _give_back_to_bot(self, conversation_id: str, handoff_from: str) -> None:
        """Rasa's tracker gets the customer's and the agent's turns, then the bot resumes."""
        human_part = await self.store.messages(conversation_id, after=handoff_from, count=10_000)
        events = [*tracker_events(human_part), {"event": "resume"}, {"event": "action", "name": "action_listen"}]
        await self.rasa.append_events(conversation_id, events)

    async def hand_back(self, conversation_id: str, agent: Agent) -> str:
        status, handoff_from = await self.store.hand_back(conversation_id, agent)
        if status == "ok":
            await self._give_back_to_bot(conversation_id, handoff_from)
        return status

    async def close(self, conversation_id: str, agent: Agent, resolution: str) -> str:
        status, handoff_from = await self.store.close(conversation_id, agent, resolution)
        if status == "ok":
            # If the customer writes again, the bot picks the conversation up knowing all of it.
            await self._give_back_to_bot(conversation_id, handoff_from)
        return status

    async def release_unserved(self, max_wait_s: float, presence_window_s: float) -> list[str]:
        """Chats no agent took in time, or whose language no agent online takes, go back to the bot,
        which offers to file a ticket. Safe to run from several web workers at once."""
        released = await self.store.give_up_waiting(max_wait_s)
        for entry in await self.store.queue(None):
            if entry.waiting_s >= presence_window_s and not await online_agent_count(
                    self.store.redis, entry.lang, presence_window_s):
                released += await self.store.give_up_waiting_one(entry.conversation_id)
        for conversation_id, reason in released:
            await self.rasa.append_events(conversation_id, [{"event": "resume"}])
            messages = await self.rasa.trigger_intent(conversation_id, NO_AGENT_INTENT, {"reason": reason})
            await self.store.bot_turn(conversation_id, group_rasa_messages(messages), None)
        return [conversation_id for conversation_id, _ in released]

    async def run_release_loop(self, max_wait_s: float, presence_window_s: float, every_s: float = 5.0) -> None:
        while True:
            try:
                await self.release_unserved(max_wait_s, presence_window_s)
            except RasaUnavailable as error:  # Rasa still loading its model (make run) or restarting: one line
                log.warning("releasing unserved chats: Rasa unavailable (%s); next try in %.0f s", error, every_s)
            except Exception:  # Redis restarting: try again on the next round
                raise_if_cancelled()
                log.exception("releasing unserved chats failed")
            raise_if_cancelled()
            await asyncio.sleep(every_s)

    async def drain(self) -> None:
        for task in list(self._tasks):
            task.cancel()
