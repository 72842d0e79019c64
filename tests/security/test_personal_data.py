"""Personal data under control (issue 13): what a customer leaves expires on its own, a supervisor or
the CLI erases one customer from every store, and access logs never show a conversation id."""
from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from handoff.agents import save_agent
from handoff.conversations import ConversationStore
from handoff.safeguards.erasure import forget
from handoff.settings import HandoffSettings
from handoff.tickets import file_ticket, resolve_ticket
from knowledge import redis_keys as keys
from knowledge.unanswered.events import UnansweredOutcome, record_unanswered_async
from tests.handoff.conftest import PASSWORD, online_agent, web  # noqa: F401  (the fixture, shared)
from tests.handoff.test_conversations import queued_chat

pytestmark = pytest.mark.anyio

DAY = 24 * 3600


@pytest.fixture
def settings() -> HandoffSettings:
    return HandoffSettings(conversation_retention_s=2 * DAY, ticket_retention_s=5 * DAY)


async def ttl(redis: Redis, key: str) -> int:
    return int(await redis.ttl(key))


async def test_every_key_of_a_conversation_expires_after_its_last_write(redis_client: Redis,
                                                                        settings: HandoffSettings) -> None:
    store = ConversationStore(redis_client, settings)
    alice = await online_agent(redis_client, "alice", ["en"])
    conversation_id = await queued_chat(store)
    await store.claim(conversation_id, alice)
    await store.agent_message(conversation_id, alice, "Hello, I am Alice")
    await store.typing(conversation_id, "customer", "")
    await store.add_suggestions(conversation_id, "0-1", [{"text": "an answer"}])
    for key in (keys.conversation(conversation_id), keys.messages(conversation_id), keys.typing(conversation_id)):
        assert 0 < await ttl(redis_client, key) <= settings.conversation_retention_s, key
    assert settings.conversation_retention_s - 60 < await ttl(redis_client, keys.messages(conversation_id))
    ticket = await file_ticket(redis_client, conversation_id, "jane@example.com", "en", "customer_request",
                               settings.ticket_retention_s)
    assert 4 * DAY < await ttl(redis_client, keys.ticket(ticket.ticket_id)) <= settings.ticket_retention_s
    # The queue, agents and statistics hold no personal data: they keep no expiry.
    for key in (keys.QUEUE, keys.agent("alice"), keys.PRESENCE):
        assert await ttl(redis_client, key) in (-1, -2), key


async def test_a_tickets_transcript_lives_as_long_as_the_ticket(redis_client: Redis, settings: HandoffSettings) -> None:
    store = ConversationStore(redis_client, settings)  # conversations kept 2 days, tickets 5
    conversation_id = await queued_chat(store)
    messages = keys.messages(conversation_id)
    ticket = await file_ticket(redis_client, conversation_id, "jane@example.com", "en", "customer_request",
                               settings.ticket_retention_s)
    assert 5 * DAY - 60 < await ttl(redis_client, messages) <= 5 * DAY

    # The conversation goes on: its own keys are refreshed, the transcript is not shortened.
    await store.customer_message(conversation_id, "thanks")  # through the scripts
    await store.add_suggestions(conversation_id, "0-1", [{"text": "an answer"}])  # outside them
    assert 5 * DAY - 60 < await ttl(redis_client, messages)
    assert 0 < await ttl(redis_client, keys.conversation(conversation_id)) <= 2 * DAY

    # Days later the ticket is done: it is kept its retention again, and its transcript with it.
    await redis_client.expire(messages, DAY)
    await redis_client.expire(keys.ticket(ticket.ticket_id), DAY)
    assert await resolve_ticket(redis_client, ticket.ticket_id, "alice", settings.ticket_retention_s)
    assert 5 * DAY - 60 < await ttl(redis_client, messages) <= 5 * DAY
    assert [m.text for m in await store.messages(conversation_id) if m.kind == "customer"][-1] == "thanks"

    # Tickets kept for less time than conversations never shorten a conversation's messages.
    other = await queued_chat(store)
    await file_ticket(redis_client, other, "bob@example.com", "en", "customer_request", 3600)
    assert 2 * DAY - 60 < await ttl(redis_client, keys.messages(other)) <= 2 * DAY


async def test_unanswered_questions_past_their_retention_leave_the_list(redis_client: Redis) -> None:
    await redis_client.xadd(keys.UNANSWERED, {"question": "an old question", "lang": "en", "outcome": "decline"},
                            id=f"{10_000_000}-0")  # 1970: long past any retention
    await record_unanswered_async(redis_client, "where is my card?", "en", UnansweredOutcome.DECLINE,
                                  conversation_id="c" * 32, retention_s=90 * DAY)
    questions = [fields["question"] for _, fields in await redis_client.xrange(keys.UNANSWERED)]
    assert questions == ["where is my card?"]
    assert 0 < await ttl(redis_client, keys.UNANSWERED) <= 90 * DAY


async def customer_with_everything(redis: Redis, store: ConversationStore, contact: str, question: str) -> str:
    """A conversation with messages, a Rasa tracker, a ticket, an unanswered question and events."""
    conversation_id = await queued_chat(store)
    await store.customer_message(conversation_id, question)
    await redis.set(keys.rasa_tracker(conversation_id), '{"events": [{"event": "slot", "value": "%s"}]}' % contact)
    await file_ticket(redis, conversation_id, contact, "en", "customer_request")
    await record_unanswered_async(redis, question, "en", UnansweredOutcome.ESCALATE, conversation_id=conversation_id)
    return conversation_id


async def traces_of(redis: Redis, conversation_id: str, text: str) -> list[str]:
    """Where anything of the conversation is still found."""
    found = [key for key in (keys.conversation(conversation_id), keys.messages(conversation_id),
                             keys.rasa_tracker(conversation_id)) if await redis.exists(key)]
    async for key in redis.scan_iter(match=keys.TICKET_PATTERN):
        if await redis.hget(key, "conversation_id") == conversation_id:
            found.append(key)
    found += [f"unanswered {entry_id}" for entry_id, fields in await redis.xrange(keys.UNANSWERED)
              if fields.get("conversation_id") == conversation_id or fields.get("question") == text]
    found += [f"event {entry_id}" for entry_id, fields in await redis.xrange(keys.EVENTS)
              if fields.get("conversation") == conversation_id]
    found += [f"queue {member}" for member in await redis.zrange(keys.QUEUE, 0, -1) if conversation_id in member]
    return found


@pytest.mark.parametrize("who", ["id", "email", "phone"])
async def test_forgetting_a_customer_erases_every_trace_and_nobody_else(redis_client: Redis, settings: HandoffSettings,
                                                                        who: str) -> None:
    store = ConversationStore(redis_client, settings)
    contact = "+33612345678" if who == "phone" else "Jane.Doe@example.com"
    jane = await customer_with_everything(redis_client, store, contact, "my card was stolen in Lyon")
    other = await customer_with_everything(redis_client, store, "bob@example.com", "how do I close my account?")
    asked = {"id": jane, "email": "jane.doe@EXAMPLE.com", "phone": "06 12 34 56 78"}[who]

    report = await forget(redis_client, asked)

    assert report.conversations == [jane]
    assert await traces_of(redis_client, jane, "my card was stolen in Lyon") == []
    assert report.erased["tickets"] == 1 and report.erased["rasa trackers"] == 1
    assert report.erased["unanswered questions"] == 1 and report.erased["events"] >= 1
    assert len(await traces_of(redis_client, other, "how do I close my account?")) >= 6  # untouched
    again = await forget(redis_client, asked)
    assert sum(again.erased.values()) == 0  # idempotent


async def chat_saying(store: ConversationStore, *customer_texts: str) -> str:
    conversation_id = await store.create()
    for text in customer_texts:
        await store.customer_message(conversation_id, text)
    return conversation_id


async def rasa_tracker_of(redis: Redis, conversation_id: str, said: str, contact: str | None) -> None:
    """A tracker as Rasa's RedisTrackerStore writes it: what the customer said, the contact form's slot."""
    events: list[dict[str, object]] = [{"event": "action", "name": "action_session_start"},
                                       {"event": "user", "text": said, "parse_data": {"intent": {"name": "request_human"}}}]
    if contact is not None:
        events.append({"event": "slot", "name": "contact", "value": contact})
    await redis.set(keys.rasa_tracker(conversation_id), json.dumps({"name": conversation_id, "events": events}))


async def test_forgetting_a_contact_finds_the_conversations_that_hold_it_without_a_ticket(
        redis_client: Redis, settings: HandoffSettings) -> None:
    store = ConversationStore(redis_client, settings)
    # No ticket anywhere: the address is only in what the customer typed, or only in Rasa's tracker.
    in_message = await chat_saying(store, "I want a person", "Write to me at Jane.Doe@Example.com.")
    await rasa_tracker_of(redis_client, in_message, "I want a person", None)
    in_tracker = await chat_saying(store, "I want a person")
    await rasa_tracker_of(redis_client, in_tracker, "I want a person", "jane.doe@example.com")
    by_phone = await chat_saying(store, "call me on 06 12 34 56 78 please")
    # Others: another address, the same one on another domain, an advisor writing it, another number.
    other = await chat_saying(store, "I am bob@example.com, Jane's colleague is jane.doe@example.org")
    await rasa_tracker_of(redis_client, other, "hello", "bob@example.com")
    await store._append(other, {"kind": "agent", "text": "Jane.Doe@example.com is not on this account", "at": 1})
    other_phone = await chat_saying(store, "my number: 06 12 34 56 79")

    report = await forget(redis_client, "jane.doe@EXAMPLE.com")

    assert report.conversations == sorted([in_message, in_tracker])
    for jane in (in_message, in_tracker):
        assert await traces_of(redis_client, jane, "") == [], jane
    assert report.erased["rasa trackers"] == 2
    assert await redis_client.exists(keys.messages(other), keys.rasa_tracker(other), keys.messages(by_phone)) == 3

    by_number = await forget(redis_client, "+33 6 12 34 56 78")
    assert by_number.conversations == [by_phone]
    assert await traces_of(redis_client, by_phone, "") == []
    assert await redis_client.exists(keys.messages(other), keys.messages(other_phone)) == 2
    assert sum((await forget(redis_client, "jane.doe@example.com")).erased.values()) == 0


async def test_the_cli_forgets_a_conversation(redis_client: Redis, redis_url: str, settings: HandoffSettings) -> None:
    store = ConversationStore(redis_client, settings)
    jane = await customer_with_everything(redis_client, store, "jane@example.com", "my card was stolen")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "handoff", "forget", jane, env={"REDIS_URL": redis_url, "PYTHONPATH": "."},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert "tickets: 1" in out.decode()
    assert await traces_of(redis_client, jane, "my card was stolen") == []


async def log_in(web: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await web.post("/api/agent/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    web.cookies.clear()  # a script calls with the token alone (with the cookie, the Origin check would refuse it)
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def test_only_a_supervisor_may_forget_a_customer_through_the_api(web: httpx.AsyncClient, redis_client: Redis) -> None:
    conversation_id = (await web.post("/api/conversations", json={})).json()["conversation_id"]
    await save_agent(redis_client, "alice", PASSWORD, "Alice", ["en"], ["agent"])
    await save_agent(redis_client, "sam", PASSWORD, "Sam", ["en"], ["agent", "supervisor"])

    refused = await web.post("/api/agent/forget", json={"who": conversation_id}, headers=await log_in(web, "alice"))
    assert refused.status_code == 403 and "supervisor" in refused.text, refused.text
    assert (await web.get(f"/api/conversations/{conversation_id}")).status_code == 200

    done = await web.post("/api/agent/forget", json={"who": conversation_id}, headers=await log_in(web, "sam"))
    assert done.status_code == 200, done.text
    assert done.json()["erased"]["conversation keys"] >= 1
    assert (await web.get(f"/api/conversations/{conversation_id}")).status_code == 404


def uvicorn_access_record(path: str) -> logging.LogRecord:
    """What uvicorn's access logger emits for one request."""
    return logging.LogRecord("uvicorn.access", logging.INFO, "h11_impl.py", 1, '%s - "%s %s HTTP/%s" %d',
                             ("127.0.0.1:5000", "POST", path, "1.1", 200), None)


def test_the_access_log_of_the_web_app_shows_no_conversation_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMA_PATH", str(tmp_path / "chroma"))
    from handoff.web.main import create_app

    create_app(HandoffSettings())
    conversation_id = "Zx9_" + "a1B2c3D4e5F6g7H8i9J0k1L2"
    access_log = logging.getLogger("uvicorn.access")  # as creating the web app left it
    logged = []
    for path in (f"/api/conversations/{conversation_id}/messages?after=0",
                 f"/api/agent/conversations/{conversation_id}/claim"):
        record = uvicorn_access_record(path)
        assert access_log.filter(record)
        logged.append(record.getMessage())
    assert all(conversation_id not in line for line in logged), logged
    tags = {line.split("conversations/")[1].split("/")[0] for line in logged}
    assert len(tags) == 1 and len(next(iter(tags))) <= 9  # one short tag, the same for both requests
