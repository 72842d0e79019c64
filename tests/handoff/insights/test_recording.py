"""What the handoff records, on a real Redis: a bot turn's events go to the outbox in the step that stores
its replies (none for a dropped turn), and each transition records what it reports."""
from __future__ import annotations

import pytest
from redis.asyncio import Redis

from handoff.conversations import ConversationStore, Escalation
from knowledge import redis_keys as keys
from knowledge.contract import EscalationReason
from tests.handoff.conftest import online_agent

pytestmark = pytest.mark.anyio

ANSWER = {"text": "Open Settings.", "outcome": "answer", "article": "a/reset", "confidence": 0.8, "lang": "en",
          "reason": None}
HANDOVER = {"text": "An advisor is coming.", "outcome": "escalate", "reason": "customer_request", "lang": "en"}


async def outbox(redis: Redis) -> list[dict[str, str]]:
    return [fields for _, fields in await redis.xrange(keys.INSIGHTS_EVENTS)]


async def test_a_bot_turn_records_its_replies_and_hand_over_and_a_dropped_one_nothing(
        store: ConversationStore, redis_client: Redis) -> None:
    alice = await online_agent(redis_client, "alice", ["en"])
    conversation_id = await store.create()
    await store.bot_turn(conversation_id, [ANSWER], None, question="reset?")
    escalation = Escalation(EscalationReason.CUSTOMER_REQUEST, "en", {"topic": None})
    assert (await store.bot_turn(conversation_id, [HANDOVER], escalation, question="a person"))[0] == "queued"
    assert (await store.bot_turn(conversation_id, [ANSWER], None))[0] == "dropped"
    assert await store.claim(conversation_id, alice) == "ok"
    await store.agent_message(conversation_id, alice, "Hello", used_suggestion=True)
    await store.agent_message(conversation_id, alice, "Anything else?")
    await store.close(conversation_id, alice, "resolved")
    events = await outbox(redis_client)
    assert [e["kind"] for e in events] == [
        "conversation_started", "bot_reply", "bot_reply", "handover", "claimed", "queue_wait", "agent_reply",
        "first_response", "agent_reply", "closed"]
    answer = events[1]
    assert (answer["outcome"], answer["article"], answer["confidence"], answer["question"], answer["lang"]) == (
        "answer", "a/reset", "0.8", "reset?", "en")
    assert (events[3]["reason"], events[5]["abandoned"], events[6]["used_suggestion"], events[8]["used_suggestion"]) == (
        "customer_request", "0", "1", "0")
    assert events[9]["resolution"] == "resolved" and float(events[9]["seconds"]) >= 0


async def test_a_full_outbox_counts_a_bot_turns_events_lost_and_still_answers(
        store: ConversationStore, redis_client: Redis) -> None:
    store.insights.recorder.bound = 1
    conversation_id = await store.create()  # the outbox holds one event: full
    assert (await store.bot_turn(conversation_id, [ANSWER, ANSWER], None))[0] == "ok"
    assert len(await store.messages(conversation_id)) == 2
    assert (await redis_client.xlen(keys.INSIGHTS_EVENTS), int(await redis_client.get(keys.INSIGHTS_LOST))) == (1, 2)


async def test_a_chat_nobody_took_records_its_wait_as_abandoned(store: ConversationStore, redis_client: Redis) -> None:
    conversation_id = await store.create()
    escalation = Escalation(EscalationReason.COMPLAINT, "fr", {})
    await store.bot_turn(conversation_id, [HANDOVER], escalation)
    assert await store.give_up_waiting(0.0) == [(conversation_id, "complaint")]
    events = await outbox(redis_client)
    assert [e["kind"] for e in events[-2:]] == ["abandoned", "queue_wait"]
    assert events[-1]["abandoned"] == "1" and events[-1]["lang"] == "fr"
