"""The agent API (handoff/web/agent_api.py) through the app, on a real Redis; Rasa is the fake."""
from __future__ import annotations

from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from handoff.agents import save_agent
from handoff.tickets import file_ticket
from tests.handoff.conftest import MAX_MESSAGE_CHARS, PASSWORD, online_agent
from tests.handoff.fake_rasa import FakeRasa

pytestmark = pytest.mark.anyio

Auth = dict[str, str]


async def log_in(web: httpx.AsyncClient, username: str) -> Auth:
    response = await web.post("/api/agent/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    web.cookies.clear()  # each call says who it is by its bearer token
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def queued_chat(web: httpx.AsyncClient, text: str = "I want to talk to a person") -> str:
    conversation_id = (await web.post("/api/conversations")).json()["conversation_id"]
    turn = await web.post(f"/api/conversations/{conversation_id}/messages", json={"text": text})
    assert turn.json()["owner"] == "queued", turn.text
    return conversation_id


def chat(conversation_id: str, action: str = "") -> str:
    return f"/api/agent/conversations/{conversation_id}" + (f"/{action}" if action else "")


async def status_of(web: httpx.AsyncClient, conversation_id: str) -> dict[str, Any]:
    return (await web.get(f"/api/conversations/{conversation_id}")).json()


@pytest.fixture
async def alice(web: httpx.AsyncClient, redis_client: Redis) -> Auth:
    await online_agent(redis_client, "alice", ["en", "fr"], name="Alice")
    return await log_in(web, "alice")


@pytest.fixture
async def bob(web: httpx.AsyncClient, redis_client: Redis) -> Auth:
    await online_agent(redis_client, "bob", ["en"], name="Bob")
    return await log_in(web, "bob")


async def test_login_opens_a_session_and_logout_ends_it(web: httpx.AsyncClient, redis_client: Redis) -> None:
    await save_agent(redis_client, "alice", PASSWORD, "Alice", ["en"])
    wrong = await web.post("/api/agent/login", json={"username": "alice", "password": "not the password"})
    assert wrong.status_code == 401
    assert (await web.post("/api/agent/login", json={"username": "", "password": "x"})).status_code == 422
    assert (await web.get("/api/agent/me")).status_code == 401

    login = await web.post("/api/agent/login", json={"username": "alice", "password": PASSWORD})
    assert login.status_code == 200
    assert login.json()["agent"] == {"username": "alice", "display_name": "Alice", "languages": ["en"]}
    assert "agent_session" in login.headers["set-cookie"] and "httponly" in login.headers["set-cookie"].lower()
    assert (await web.get("/api/agent/me")).json()["username"] == "alice"  # by the cookie
    web.cookies.clear()
    auth = {"Authorization": f"Bearer {login.json()['token']}"}
    assert [a["username"] for a in (await web.get("/api/agent/agents", headers=auth)).json()] == ["alice"]

    logout = await web.post("/api/agent/logout", headers=auth)
    assert logout.status_code == 204
    assert 'agent_session=""' in logout.headers["set-cookie"]
    assert (await web.get("/api/agent/me", headers=auth)).status_code == 401
    assert (await web.post("/api/agent/logout", headers=auth)).status_code == 401


async def test_an_agent_claims_a_queued_chat_and_nobody_else_can(
        web: httpx.AsyncClient, alice: Auth, bob: Auth) -> None:
    conversation_id = await queued_chat(web)
    [waiting] = (await web.get("/api/agent/queue", headers=alice)).json()
    assert (waiting["conversation_id"], waiting["reason"], waiting["priority"]) == (conversation_id, "customer_request", 3)

    claimed = await web.post(chat(conversation_id, "claim"), headers=alice)
    assert (claimed.status_code, claimed.json()["status"]) == (200, "ok")
    assert (await web.post(chat(conversation_id, "claim"), headers=alice)).json()["status"] == "noop"
    taken = await web.post(chat(conversation_id, "claim"), headers=bob)
    assert taken.status_code == 409 and "alice" in taken.json()["detail"]
    status = await status_of(web, conversation_id)
    assert (status["owner"], status["agent"], status["agent_name"]) == ("agent", "alice", "Alice")
    assert (await web.get("/api/agent/queue", headers=alice)).json() == []
    assert (await web.post("/api/agent/queue/next", headers=bob)).status_code == 204


async def test_claim_next_serves_the_most_urgent_chat(web: httpx.AsyncClient, alice: Auth) -> None:
    request = await queued_chat(web)
    fraud = await queued_chat(web, "someone used my card: fraud")
    assert (await web.post("/api/agent/queue/next", headers=alice)).json() == {"conversation_id": fraud}
    assert (await web.post("/api/agent/queue/next", headers=alice)).json() == {"conversation_id": request}


async def test_routes_need_a_logged_in_agent_and_a_known_conversation(web: httpx.AsyncClient, alice: Auth) -> None:
    conversation_id = await queued_chat(web)
    assert (await web.post(chat(conversation_id, "claim"))).status_code == 401
    assert (await web.get("/api/agent/queue")).status_code == 401
    unknown = "u" * 32
    assert (await web.post(chat(unknown, "claim"), headers=alice)).status_code == 404
    assert (await web.get(chat(unknown), headers=alice)).status_code == 404
    assert (await web.post(chat(unknown, "messages"), headers=alice, json={"text": "hi"})).status_code == 404


async def test_the_agent_talks_to_the_customer(web: httpx.AsyncClient, fake_rasa: FakeRasa, alice: Auth, bob: Auth) -> None:
    conversation_id = await queued_chat(web)
    await web.post(chat(conversation_id, "claim"), headers=alice)
    sent = await web.post(chat(conversation_id, "messages"), headers=alice, json={"text": "Hi, I'm Alice."})
    assert sent.status_code == 200 and sent.json()["message_id"]
    history = (await web.get(f"/api/conversations/{conversation_id}/messages")).json()
    assert (history[-1]["kind"], history[-1]["text"], history[-1]["agent_name"]) == ("agent", "Hi, I'm Alice.", "Alice")

    customer = await web.post(f"/api/conversations/{conversation_id}/messages", json={"text": "my card was stolen"})
    assert (customer.json()["owner"], customer.json()["replies"]) == ("agent", [])
    assert fake_rasa.texts_received(conversation_id) == ["I want to talk to a person"]
    package = (await web.get(chat(conversation_id), headers=alice)).json()
    assert [(m["kind"], m.get("text")) for m in package["transcript"]][-2:] == [
        ("agent", "Hi, I'm Alice."), ("customer", "my card was stolen")]
    assert package["status"]["owner"] == "agent" and package["bot"]["question"] == "I want to talk to a person"

    too_long = await web.post(chat(conversation_id, "messages"), headers=alice, json={"text": "x" * (MAX_MESSAGE_CHARS + 1)})
    assert too_long.status_code == 413
    assert (await web.post(chat(conversation_id, "messages"), headers=alice, json={"text": "  "})).status_code == 422
    assert (await web.post(chat(conversation_id, "messages"), headers=alice, json={})).status_code == 422
    assert (await web.post(chat(conversation_id, "messages"), headers=bob, json={"text": "me too"})).status_code == 409
    assert [m["text"] for m in (await web.get(f"/api/conversations/{conversation_id}/messages")).json()][-1] == (
        "my card was stolen")


async def test_transfer_to_another_agent_or_back_to_the_queue(web: httpx.AsyncClient, alice: Auth, bob: Auth) -> None:
    conversation_id = await queued_chat(web)
    await web.post(chat(conversation_id, "claim"), headers=alice)
    assert (await web.post(chat(conversation_id, "transfer"), headers=alice, json={"to": "nobody"})).status_code == 404
    moved = await web.post(chat(conversation_id, "transfer"), headers=alice, json={"to": "bob"})
    assert moved.json()["status"] == "ok"
    status = await status_of(web, conversation_id)
    assert (status["agent"], status["agent_name"]) == ("bob", "Bob")
    assert (await web.post(chat(conversation_id, "transfer"), headers=alice, json={"to": None})).status_code == 409
    assert (await web.post(chat(conversation_id, "transfer"), headers=bob, json={"to": None})).json()["status"] == "ok"
    assert (await status_of(web, conversation_id))["owner"] == "queued"
    assert [c["conversation_id"] for c in (await web.get("/api/agent/queue", headers=alice)).json()] == [conversation_id]


async def test_hand_back_gives_the_bot_the_chat_and_the_agents_turns(
        web: httpx.AsyncClient, fake_rasa: FakeRasa, alice: Auth, bob: Auth) -> None:
    conversation_id = await queued_chat(web)
    await web.post(chat(conversation_id, "claim"), headers=alice)
    await web.post(f"/api/conversations/{conversation_id}/messages", json={"text": "my password?"})
    await web.post(chat(conversation_id, "messages"), headers=alice, json={"text": "Try the reset link."})
    assert (await web.post(chat(conversation_id, "hand-back"), headers=bob)).status_code == 409

    handed = await web.post(chat(conversation_id, "hand-back"), headers=alice)
    assert (handed.status_code, handed.json()["status"]) == (200, "ok")
    assert (await status_of(web, conversation_id))["owner"] == "bot"
    told = fake_rasa.events[conversation_id]
    assert [(e["event"], e.get("text")) for e in told if e["event"] in ("user", "bot", "resume")] == [
        ("user", "my password?"), ("bot", "Try the reset link."), ("resume", None)]
    assert told[-1] == {"event": "action", "name": "action_listen"}
    assert (await web.post(chat(conversation_id, "hand-back"), headers=alice)).json()["status"] == "noop"

    answered = await web.post(f"/api/conversations/{conversation_id}/messages", json={"text": "thanks, and my PIN?"})
    assert answered.json()["owner"] == "bot" and answered.json()["replies"][0]["outcome"] == "answer"


async def test_close_with_a_resolution(web: httpx.AsyncClient, fake_rasa: FakeRasa, alice: Auth) -> None:
    conversation_id = await queued_chat(web)
    await web.post(chat(conversation_id, "claim"), headers=alice)
    assert (await web.post(chat(conversation_id, "close"), headers=alice, json={"resolution": "fixed"})).status_code == 422
    assert (await web.post(chat(conversation_id, "close"), headers=alice, json={})).status_code == 422
    closed = await web.post(chat(conversation_id, "close"), headers=alice, json={"resolution": "resolved"})
    assert (closed.status_code, closed.json()["status"]) == (200, "ok")
    status = await status_of(web, conversation_id)
    assert status["owner"] == "closed"
    history = (await web.get(f"/api/conversations/{conversation_id}/messages")).json()
    assert (history[-1]["event"], history[-1]["details"]["resolution"]) == ("closed", "resolved")
    assert {"event": "resume"} in fake_rasa.events[conversation_id]


async def test_rasa_down_on_hand_back_is_502_but_the_bot_has_the_chat(
        web: httpx.AsyncClient, fake_rasa: FakeRasa, alice: Auth) -> None:
    conversation_id = await queued_chat(web)
    await web.post(chat(conversation_id, "claim"), headers=alice)
    fake_rasa.down = True
    handed = await web.post(chat(conversation_id, "hand-back"), headers=alice)
    assert handed.status_code == 502 and "handed back" in handed.json()["detail"]
    assert (await status_of(web, conversation_id))["owner"] == "bot"


async def test_tickets_are_listed_with_their_transcript_and_marked_done(
        web: httpx.AsyncClient, redis_client: Redis, alice: Auth) -> None:
    conversation_id = (await web.post("/api/conversations")).json()["conversation_id"]
    await web.post(f"/api/conversations/{conversation_id}/messages", json={"text": "nobody online? my card"})
    ticket = await file_ticket(redis_client, conversation_id, "me@example.com", "en", "customer_request")
    [listed] = (await web.get("/api/agent/tickets", headers=alice)).json()
    assert (listed["ticket_id"], listed["contact"]) == (ticket.ticket_id, "me@example.com")
    assert [m["kind"] for m in listed["transcript"]] == ["customer", "bot"]
    assert (await web.post(f"/api/agent/tickets/{ticket.ticket_id}/done", headers=alice)).json()["status"] == "ok"
    assert (await web.post(f"/api/agent/tickets/{ticket.ticket_id}/done", headers=alice)).json()["status"] == "noop"
    assert (await web.get("/api/agent/tickets", headers=alice)).json() == []
    assert (await web.post("/api/agent/tickets/T999999/done", headers=alice)).status_code == 404


async def test_password_guessing_is_refused_after_ten_failures_until_the_window_ends(
        web: httpx.AsyncClient, redis_client: Redis) -> None:
    await save_agent(redis_client, "alice", PASSWORD, "Alice", ["en"])
    statuses = [(await web.post("/api/agent/login", json={"username": "alice", "password": f"guess {i}"})).status_code
                for i in range(12)]
    assert statuses == [401] * 10 + [429] * 2
    refused = await web.post("/api/agent/login", json={"username": "alice", "password": PASSWORD})
    assert refused.status_code == 429 and 0 < int(refused.headers["retry-after"]) <= 300
    # The window ends (its keys expire): the right password works again, and clears the count.
    for key in await redis_client.keys("handoff:login-failures:*"):
        await redis_client.delete(key)
    assert (await web.post("/api/agent/login", json={"username": "alice", "password": PASSWORD})).status_code == 200

