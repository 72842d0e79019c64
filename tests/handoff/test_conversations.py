"""Ownership, queue and message streams against a real Redis server."""
from __future__ import annotations

import asyncio

from unittest.mock import AsyncMock

import pytest
from redis.asyncio import Redis

from knowledge import redis_keys as keys
from handoff.conversations import ConversationStore, Escalation
from handoff.ownership import Owner, TransitionConflict, priority_of, queue_score
from knowledge.contract import EscalationReason
from tests.handoff.conftest import online_agent

pytestmark = pytest.mark.anyio

HANDOVER_REPLY = {"text": "I'm putting you through to an advisor.", "outcome": "escalate", "reason": "customer_request"}


async def queued_chat(store: ConversationStore, reason: str = "customer_request", lang: str = "en") -> str:
    conversation_id = await store.create()
    await store.customer_message(conversation_id, "I want to talk to a person")
    escalation = Escalation(EscalationReason(reason), lang, {"confidence": 0.4})
    status, _ = await store.bot_turn(conversation_id, [HANDOVER_REPLY], escalation)
    assert status == "queued"
    # The queue orders chats by the millisecond they were queued: two queued within the same one are
    # equals. The tests below compare chats queued one after the other, so each gets its own.
    await asyncio.sleep(0.002)
    return conversation_id


async def test_a_chat_goes_from_bot_to_queue_to_agent_and_back(store: ConversationStore, redis_client: Redis) -> None:
    alice = await online_agent(redis_client, "alice", ["en"])
    conversation_id = await queued_chat(store)
    assert (await store.status(conversation_id)).owner is Owner.QUEUED
    assert [entry.conversation_id for entry in await store.queue(("en",))] == [conversation_id]

    assert await store.claim(conversation_id, alice) == "ok"
    status = await store.status(conversation_id)
    assert (status.owner, status.agent, status.agent_name) == (Owner.AGENT, "alice", "Alice")
    assert await store.queue(None) == []

    owner, _, _ = await store.customer_message(conversation_id, "hello?")
    assert owner is Owner.AGENT
    await store.agent_message(conversation_id, alice, "Hi, I'm Alice.")
    late_bot_reply = {"text": "a bot answer computed too late", "outcome": "answer"}
    assert (await store.bot_turn(conversation_id, [late_bot_reply], None))[0] == "dropped"

    status, handoff_from = await store.hand_back(conversation_id, alice)
    assert status == "ok"
    assert (await store.status(conversation_id)).owner is Owner.BOT
    human_part = await store.messages(conversation_id, after=handoff_from)
    assert [(m.kind, m.text or m.event) for m in human_part] == [
        ("system", "agent_joined"), ("customer", "hello?"), ("agent", "Hi, I'm Alice."), ("system", "handed_back")]
    assert "a bot answer computed too late" not in [m.text for m in await store.messages(conversation_id)]


async def test_repeating_a_transition_is_harmless(store: ConversationStore, redis_client: Redis) -> None:
    alice = await online_agent(redis_client, "alice", ["en"])
    bob = await online_agent(redis_client, "bob", ["en"])
    conversation_id = await queued_chat(store)
    assert await store.claim(conversation_id, alice) == "ok"
    assert await store.claim(conversation_id, alice) == "noop"
    with pytest.raises(TransitionConflict) as conflict:
        await store.claim(conversation_id, bob)
    assert conflict.value.agent == "alice"
    assert (await store.hand_back(conversation_id, alice))[0] == "ok"
    assert (await store.hand_back(conversation_id, alice))[0] == "noop"
    # Escalating again from the bot's reply is harmless too: one queue entry, one "queued" event.
    escalation = Escalation(EscalationReason.CUSTOMER_REQUEST, "en", {})
    assert (await store.bot_turn(conversation_id, [HANDOVER_REPLY], escalation))[0] == "queued"
    assert (await store.bot_turn(conversation_id, [HANDOVER_REPLY], escalation))[0] == "dropped"
    assert len(await store.queue(None)) == 1


async def test_taking_the_next_chat_never_gives_one_the_agent_already_claimed(
        store: ConversationStore, redis_client: Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    alice = await online_agent(redis_client, "alice", ["en"])
    first, second = await queued_chat(store), await queued_chat(store)
    listed_before_the_claim = await store.queue(None)
    assert await store.claim(first, alice) == "ok"
    monkeypatch.setattr(store, "queue", AsyncMock(return_value=listed_before_the_claim))  # a listing gone stale
    assert await store.claim_next(alice) == second


async def test_queue_serves_priority_first_then_waiting_time_within_the_agents_languages(
        store: ConversationStore, redis_client: Redis) -> None:
    first_request = await queued_chat(store, "customer_request", "en")
    french_request = await queued_chat(store, "customer_request", "fr")
    later_fraud = await queued_chat(store, "sensitive", "en")
    assert [e.conversation_id for e in await store.queue(None)] == [later_fraud, first_request, french_request]
    francophone = await online_agent(redis_client, "claire", ["fr"])
    assert await store.claim_next(francophone) == french_request
    bilingual = await online_agent(redis_client, "sam", ["en", "fr"])
    assert await store.claim_next(bilingual) == later_fraud
    assert await store.claim_next(bilingual) == first_request
    assert await store.claim_next(bilingual) is None


async def test_the_queue_holds_the_member_and_score_python_defines(store: ConversationStore, redis_client: Redis) -> None:
    alice = await online_agent(redis_client, "alice", ["fr"])
    conversation_id = await queued_chat(store, "complaint", "fr")
    queued_at = int((await redis_client.hget(keys.conversation(conversation_id), "queued_at")) or 0)
    expected = (keys.queue_member("fr", conversation_id), queue_score(priority_of("complaint"), queued_at))
    assert await redis_client.zrange(keys.QUEUE, 0, -1, withscores=True) == [expected]
    assert [(e.lang, e.priority, e.queued_at) for e in await store.queue(None)] == [("fr", 1, queued_at)]
    await store.claim(conversation_id, alice)
    assert await redis_client.zcard(keys.QUEUE) == 0
    await store.transfer(conversation_id, alice, None)  # back to the queue, in its place
    assert await redis_client.zrange(keys.QUEUE, 0, -1, withscores=True) == [expected]
    assert await store.give_up_waiting(older_than_s=0) == [(conversation_id, "complaint")]
    assert await redis_client.zcard(keys.QUEUE) == 0


async def test_waiting_customer_sees_position_and_estimate(store: ConversationStore, redis_client: Redis) -> None:
    first, second = await queued_chat(store), await queued_chat(store)
    status = await store.status(second)
    assert (status.position, status.agents_online, status.estimated_wait_s) == (2, 0, None)
    await online_agent(redis_client, "alice", ["en"])
    status = await store.status(second)
    assert (status.position, status.agents_online) == (2, 1)
    assert status.estimated_wait_s == 2 * int(store.settings.default_handling_time_s)
    assert (await store.status(first)).position == 1


async def test_a_retried_customer_message_is_stored_once(store: ConversationStore) -> None:
    conversation_id = await store.create()
    first = await store.customer_message(conversation_id, "hello", client_id="c-1")
    retry = await store.customer_message(conversation_id, "hello", client_id="c-1")
    assert retry == (Owner.BOT, first[1], True)
    assert len(await store.messages(conversation_id)) == 1


async def test_transfer_to_an_agent_or_back_to_the_queue_keeps_the_place(store: ConversationStore, redis_client: Redis) -> None:
    alice = await online_agent(redis_client, "alice", ["en"])
    bob = await online_agent(redis_client, "bob", ["en"], name="Bob B.")
    older = await queued_chat(store)
    newer = await queued_chat(store)
    await store.claim(older, alice)
    await store.transfer(older, alice, bob)
    status = await store.status(older)
    assert (status.agent, status.agent_name) == ("bob", "Bob B.")
    with pytest.raises(TransitionConflict):
        await store.agent_message(older, alice, "alice no longer owns this chat")
    await store.transfer(older, bob, None)
    assert [e.conversation_id for e in await store.queue(None)] == [older, newer]


async def test_closing_keeps_the_record_for_a_while_and_a_new_message_reopens_with_the_bot(
        store: ConversationStore, redis_client: Redis) -> None:
    alice = await online_agent(redis_client, "alice", ["en"])
    conversation_id = await queued_chat(store)
    await store.claim(conversation_id, alice)
    assert (await store.close(conversation_id, alice, "resolved"))[0] == "ok"
    assert (await store.status(conversation_id)).owner is Owner.CLOSED
    assert 0 < await redis_client.ttl(keys.messages(conversation_id)) <= store.settings.conversation_retention_s
    owner, _, _ = await store.customer_message(conversation_id, "one more thing")
    assert owner is Owner.BOT
    # Reopened, it still expires (personal data), a full retention after its newest message.
    assert await redis_client.ttl(keys.messages(conversation_id)) > store.settings.conversation_retention_s - 60
    assert await store.mean_handling_time_s() < 5


async def test_chats_nobody_claims_in_time_go_back_to_the_bot(store: ConversationStore) -> None:
    waiting = await queued_chat(store, "complaint")
    assert await store.give_up_waiting(older_than_s=3600) == []
    assert await store.give_up_waiting(older_than_s=0) == [(waiting, "complaint")]
    assert (await store.status(waiting)).owner is Owner.BOT
    assert (await store.messages(waiting))[-1].event == "no_agent"
    assert await store.give_up_waiting(older_than_s=0) == []


async def test_feedback_is_kept_beside_the_answer_it_rates(store: ConversationStore) -> None:
    conversation_id = await store.create()
    await store.customer_message(conversation_id, "how do I reset my password?")
    await store.bot_turn(conversation_id, [{"text": "Go to **Settings**.", "outcome": "answer", "article": "a/reset"}], None)
    answer = (await store.messages(conversation_id))[-1]
    assert answer.public()["html"] == "<p>Go to <strong>Settings</strong>.</p>\n"
    await store.feedback(conversation_id, answer.id, helpful=False)
    rating = (await store.messages(conversation_id, after=answer.id))[0]
    assert (rating.kind, rating.details["for"], rating.details["helpful"], rating.details["article"]) == (
        "feedback", answer.id, "no", "a/reset")
    with pytest.raises(KeyError):
        await store.feedback(conversation_id, rating.id, helpful=True)  # not a bot answer


async def test_bot_text_is_rendered_without_any_raw_html(store: ConversationStore) -> None:
    conversation_id = await store.create()
    await store.bot_turn(conversation_id, [{"text": "<img src=x onerror=alert(1)> [link](javascript:alert(1))"}], None)
    rendered = (await store.messages(conversation_id))[-1].public()["html"]
    assert "<img" not in rendered and "href=\"javascript" not in rendered
    assert "&lt;img src=x onerror=alert(1)&gt;" in rendered
