"""The relay (handoff/relay.py) on a real Redis: who answers a customer message, how a bot
reply that hands over queues the chat, what Rasa's tracker is told. Rasa is the fake."""
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from handoff.conversations import ConversationStore, Escalation
from handoff.ownership import Owner
from handoff.rasa_client import RasaClient
from handoff.relay import HandoffRelay, escalation_in
from handoff.settings import HandoffSettings
from handoff.summary import SummaryWriter
from knowledge import redis_keys as keys
from knowledge.contract import EscalationReason, group_rasa_messages
from tests.handoff.conftest import online_agent
from tests.handoff.fake_rasa import FRAUD_ARTICLE, FakeRasa, rest_messages, scripted_reply

pytestmark = pytest.mark.anyio

SUGGESTED = [{"article": "lumen/card-fraud-en", "title": "Card fraud", "score": 0.9}]


class StubSuggestions:
    """The action server's suggestions, outside this test: what was asked, and a fixed answer."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str]] = []
        self.earlier: list[list[str]] = []  # per call, the earlier customer messages sent, newest first

    async def suggest(self, conversation_id: str, text: str, lang: str, earlier: Sequence[str] = ()) -> list[dict[str, Any]]:
        self.asked.append((conversation_id, text, lang))
        self.earlier.append(list(earlier))
        return SUGGESTED


@pytest.fixture
def suggestions() -> StubSuggestions:
    return StubSuggestions()


@pytest.fixture
async def relay(store: ConversationStore, fake_rasa: FakeRasa, suggestions: StubSuggestions) -> AsyncIterator[HandoffRelay]:
    async with httpx.AsyncClient(transport=fake_rasa.transport()) as http:
        relay = HandoffRelay(store, RasaClient(http, "http://rasa.test"), suggestions,  # type: ignore[arg-type]
                             SummaryWriter(http, HandoffSettings(llm_base_url=None)))
        yield relay
        await relay.drain()


async def suggestions_for(store: ConversationStore, conversation_id: str, message_id: str) -> dict[str, Any]:
    """The suggestions stored for a message; waits (Redis XREAD) until the relay's background task writes them.
    Each wait stays under the Redis client's 5 s socket timeout (redis-py 8's default)."""
    after = message_id
    while later := await store.wait_for_messages(conversation_id, after, block_ms=3_000):
        for message in later:
            if message.kind == "suggestions" and message.details["for"] == message_id:
                return message.details
        after = later[-1].id
    raise AssertionError(f"no suggestions were written for {message_id}")


async def test_an_escalation_queues_the_chat_with_its_reason_priority_and_what_the_bot_knew(
        relay: HandoffRelay, store: ConversationStore, fake_rasa: FakeRasa, suggestions: StubSuggestions,
        redis_client: Redis) -> None:
    conversation_id = await store.create()
    turn = await relay.customer_says(conversation_id, "someone used my card: fraud", "en")
    assert turn.owner is Owner.QUEUED
    assert [(m.kind, m.reply and m.reply.get("outcome"), m.event) for m in turn.replies] == [
        ("bot", "escalate", None), ("system", None, "queued")]
    status = await store.status(conversation_id)
    assert (status.owner, status.reason, status.lang, status.position) == (Owner.QUEUED, "sensitive", "en", 1)
    [entry] = await store.queue(None)
    assert (entry.conversation_id, entry.reason, entry.priority) == (conversation_id, "sensitive", 0)
    package = await store.package(conversation_id)
    assert (package["article"], package["confidence"], package["topic"], package["question"]) == (
        FRAUD_ARTICLE, 0.91, "fraud", "someone used my card: fraud")
    assert fake_rasa.events[conversation_id] == [{"event": "pause"}]
    stored = await suggestions_for(store, conversation_id, turn.message_id)
    assert suggestions.asked == [(conversation_id, "someone used my card: fraud", "en")]
    assert stored["items"] == '[{"article": "lumen/card-fraud-en", "title": "Card fraud", "score": 0.9}]'
    queued_event = (await redis_client.xrevrange(keys.EVENTS, count=1))[0][1]
    assert (queued_event["type"], queued_event["reason"], queued_event["priority"]) == ("queued", "sensitive", "0")


async def test_a_button_press_queues_with_the_customers_last_real_question(
        relay: HandoffRelay, store: ConversationStore) -> None:
    conversation_id = await store.create()
    await relay.customer_says(conversation_id, "how do I reset my password?", "en")
    turn = await relay.customer_says(conversation_id, "/request_human", "en")
    assert turn.owner is Owner.QUEUED
    assert (await store.package(conversation_id))["question"] == "how do I reset my password?"
    assert (await store.status(conversation_id)).reason == "customer_request"


async def summary_of(store: ConversationStore, conversation_id: str) -> dict[str, Any]:
    """The hand-over summary stored for the conversation; waits until the relay's background task writes it."""
    after = "0"
    while later := await store.wait_for_messages(conversation_id, after, block_ms=3_000):
        for message in later:
            if message.kind == "summary":
                return json.loads(message.details["summary"])
        after = later[-1].id
    raise AssertionError(f"no summary was written for {conversation_id}")


async def test_asking_for_a_person_after_a_question_suggests_from_that_question_and_summarises_it(
        relay: HandoffRelay, store: ConversationStore, suggestions: StubSuggestions) -> None:
    conversation_id = await store.create()
    await relay.customer_says(conversation_id, "how do I reset my password?", "en")
    turn = await relay.customer_says(conversation_id, "I want to talk to a person", "en")
    assert turn.owner is Owner.QUEUED
    await suggestions_for(store, conversation_id, turn.message_id)
    assert suggestions.asked == [(conversation_id, "I want to talk to a person", "en")]
    assert suggestions.earlier == [["how do I reset my password?"]]
    summary = await summary_of(store, conversation_id)
    assert summary["request"] == "how do I reset my password?"
    assert summary["bot_did"] == ["Answered with “Reset your password”"]
    assert (summary["lang"], summary["reason"], summary["urgent"], summary["written_by"]) == (
        "en", "customer_request", False, "extract")
    assert summary["text"].startswith("how do I reset my password?")


async def test_a_sensitive_hand_over_is_summarised_as_urgent(relay: HandoffRelay, store: ConversationStore) -> None:
    conversation_id = await store.create()
    await relay.customer_says(conversation_id, "someone used my card: fraud", "en")
    summary = await summary_of(store, conversation_id)
    assert (summary["reason"], summary["urgent"], summary["request"]) == ("sensitive", True, "someone used my card: fraud.")


async def test_a_customer_message_while_queued_or_with_an_agent_is_not_sent_to_rasa(
        relay: HandoffRelay, store: ConversationStore, fake_rasa: FakeRasa, suggestions: StubSuggestions,
        redis_client: Redis) -> None:
    conversation_id = await store.create()
    await relay.customer_says(conversation_id, "I want to talk to a person", "en")
    queued_turn = await relay.customer_says(conversation_id, "are you there?", "en")
    assert (queued_turn.owner, queued_turn.replies) == (Owner.QUEUED, [])
    assert (await suggestions_for(store, conversation_id, queued_turn.message_id))["items"]

    alice = await online_agent(redis_client, "alice", ["en"])
    await store.claim(conversation_id, alice)
    agent_turn = await relay.customer_says(conversation_id, "my card was stolen", "en")
    assert (agent_turn.owner, agent_turn.replies) == (Owner.AGENT, [])
    await suggestions_for(store, conversation_id, agent_turn.message_id)
    assert fake_rasa.texts_received(conversation_id) == ["I want to talk to a person"]
    assert (conversation_id, "my card was stolen", "en") in suggestions.asked


async def test_an_escalation_routed_to_a_ticket_does_not_queue(relay: HandoffRelay, store: ConversationStore) -> None:
    conversation_id = await store.create()
    turn = await relay.customer_says(conversation_id, "nobody online? I want a person", "en")
    assert turn.owner is Owner.BOT
    assert await store.queue(None) == []
    assert turn.replies[0].reply is not None and turn.replies[0].reply["route"] == "ticket"


async def test_a_retried_message_gets_the_first_answer_and_rasa_hears_it_once(
        relay: HandoffRelay, store: ConversationStore, fake_rasa: FakeRasa) -> None:
    conversation_id = await store.create()
    first = await relay.customer_says(conversation_id, "how do I reset my password?", "en", client_id="c-1")
    again = await relay.customer_says(conversation_id, "how do I reset my password?", "en", client_id="c-1")
    assert again.message_id == first.message_id
    assert [m.id for m in again.replies] == [m.id for m in first.replies]
    assert fake_rasa.texts_received(conversation_id) == ["how do I reset my password?"]


async def test_an_unhelpful_answer_queues_with_the_question_it_answered(
        relay: HandoffRelay, store: ConversationStore, fake_rasa: FakeRasa) -> None:
    conversation_id = await store.create()
    answered = await relay.customer_says(conversation_id, "how do I reset my password?", "en")
    turn = await relay.feedback(conversation_id, answered.replies[0].id, helpful=False, lang="en")
    assert turn.owner is Owner.QUEUED
    assert fake_rasa.texts_received(conversation_id)[-1] == "/answer_not_helpful"
    assert (await store.status(conversation_id)).reason == "not_helpful"
    assert (await store.package(conversation_id))["question"] == "how do I reset my password?"


async def test_chats_nobody_takes_go_back_to_the_bot_which_says_so(
        relay: HandoffRelay, store: ConversationStore, fake_rasa: FakeRasa) -> None:
    conversation_id = await store.create()
    await relay.customer_says(conversation_id, "I want to talk to a person", "en")
    assert await relay.release_unserved(max_wait_s=3600, presence_window_s=0) == [conversation_id]  # nobody online
    assert (await store.status(conversation_id)).owner is Owner.BOT
    assert fake_rasa.triggered == [(conversation_id, "EXTERNAL_no_agent", {"reason": "customer_request"})]
    last = (await store.messages(conversation_id))[-1]
    assert last.kind == "bot" and last.reply is not None and last.reply["outcome"] == "no_agent"


def test_only_an_escalation_within_the_contract_routed_to_an_agent_is_a_hand_over() -> None:
    def escalation_for(text: str) -> Escalation | None:
        return escalation_in(group_rasa_messages(rest_messages("c", scripted_reply(text))), text)

    sensitive = escalation_for("fraud")
    assert sensitive is not None and (sensitive.reason, sensitive.lang) == (EscalationReason.SENSITIVE, "en")
    assert sensitive.package["sources"] == [{"article": FRAUD_ARTICLE, "title": "Card fraud", "score": 0.91}]
    assert escalation_for("/request_human") == Escalation(
        EscalationReason.CUSTOMER_REQUEST, "en",
        {"article": None, "confidence": None, "sources": [], "topic": None, "question": "/request_human"})
    assert escalation_for("hello") is None  # an answer
    assert escalation_for("nobody online?") is None  # route "ticket": the bot takes contact details
    assert escalation_for("a made-up reason") is None  # outside the contract
    assert escalation_in(group_rasa_messages([{"recipient_id": "c", "text": "plain text"}]), "hi") is None


@pytest.mark.parametrize("swallowed_as", ["a connection error", "a normal return"])
async def test_the_release_loop_stops_when_redis_py_swallows_its_cancellation(
        relay: HandoffRelay, monkeypatch: pytest.MonkeyPatch, swallowed_as: str) -> None:
    asked = asyncio.Event()

    async def cancelled_inside_redis_py(max_wait_s: float) -> list[tuple[str, str]]:
        asked.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:  # what redis-py does with a command cancelled at the wrong moment
            if swallowed_as == "a connection error":
                raise RedisConnectionError("cancelled while connecting") from None
        return []

    monkeypatch.setattr(relay.store, "give_up_waiting", cancelled_inside_redis_py)
    loop = asyncio.create_task(relay.run_release_loop(60, 60, every_s=30))
    await asyncio.wait_for(asked.wait(), 5)
    loop.cancel()
    done, _ = await asyncio.wait({loop}, timeout=5)
    assert loop in done and loop.cancelled()  # it went on, and the web app took a round or forever to stop
