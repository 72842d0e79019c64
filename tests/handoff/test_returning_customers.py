"""Returning customers (issue 17): a widget started with a signed customer id links the conversation to that
customer, and an advisor lists the customer's earlier conversations; an unsigned or wrongly signed id is
refused and nothing is stored. The web app on a real Redis, Rasa faked (tests/handoff/conftest.py)."""
from __future__ import annotations

import hashlib
import hmac

import httpx
import pytest
from redis.asyncio import Redis

from handoff.agents import save_agent
from handoff.conversations import ConversationStore
from handoff.returning.identity import IdentityRefused, Refusal, sign, verified_customer
from handoff.safeguards.erasure import forget
from handoff.settings import HandoffSettings
from knowledge import redis_keys as keys
from tests.handoff.conftest import PASSWORD, online_agent
from tests.handoff.fake_rasa import ANSWER_TEXT

pytestmark = pytest.mark.anyio

SECRET = "the site's secret, 32 bytes long!"


@pytest.fixture(autouse=True)
def site_secret(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """CUSTOMER_ID_SECRET for the web app the `web` fixture builds; parametrize it (indirect) to change it."""
    secret = getattr(request, "param", SECRET)
    if secret is None:
        monkeypatch.delenv("CUSTOMER_ID_SECRET", raising=False)
    else:
        monkeypatch.setenv("CUSTOMER_ID_SECRET", secret)
    return secret


def signed(user_id: str, secret: str = SECRET) -> dict[str, str]:
    """What a site's server gives the widget, computed as the README tells sites to."""
    return {"user_id": user_id, "user_hash": hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()}


async def start(web: httpx.AsyncClient, identity: dict[str, str] | None = None) -> str:
    response = await web.post("/api/conversations", json=identity) if identity else await web.post("/api/conversations")
    assert response.status_code == 201, response.text
    return response.json()["conversation_id"]


async def say(web: httpx.AsyncClient, conversation_id: str, text: str) -> None:
    turn = await web.post(f"/api/conversations/{conversation_id}/messages", json={"text": text})
    assert turn.status_code == 200, turn.text


async def agent_auth(web: httpx.AsyncClient, redis: Redis, username: str = "alice") -> dict[str, str]:
    await online_agent(redis, username, ["en", "fr"])
    response = await web.post("/api/agent/login", json={"username": username, "password": PASSWORD})
    web.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def previous(conversation_id: str) -> str:
    return f"/api/agent/conversations/{conversation_id}/previous"


async def conversation_keys(redis: Redis) -> list[str]:
    return [key async for key in redis.scan_iter(match=f"{keys.PREFIX}:conversation:*")]


def test_the_signature_is_the_hex_hmac_sha256_of_the_id_with_the_secret() -> None:
    assert sign(SECRET, "u-42") == signed("u-42")["user_hash"]
    assert verified_customer(SECRET, "u-42", signed("u-42")["user_hash"].upper()) == "u-42"
    for secret, user_hash, refusal in [(None, sign(SECRET, "u-42"), Refusal.NOT_CONFIGURED), (SECRET, "", Refusal.MISSING_HASH),
                                       (SECRET, sign(SECRET, "u-43"), Refusal.WRONG_HASH), (SECRET, "é" * 64, Refusal.WRONG_HASH)]:
        with pytest.raises(IdentityRefused) as refused:
            verified_customer(secret, "u-42", user_hash)
        assert refused.value.refusal is refusal


async def test_a_verified_customer_id_links_each_new_conversation(web: httpx.AsyncClient, redis_client: Redis) -> None:
    first = await start(web, signed("u-42"))
    second = await start(web, signed("u-42"))
    anonymous = await start(web)

    linked = await redis_client.zrevrange(keys.customer_conversations("u-42"), 0, -1)
    assert linked == [second, first]
    assert await redis_client.hget(keys.conversation(first), "customer") == "u-42"
    assert await redis_client.hget(keys.conversation(anonymous), "customer") is None
    # The link expires with the conversations.
    retention = HandoffSettings().conversation_retention_s
    assert retention - 5 < await redis_client.ttl(keys.customer_conversations("u-42")) <= retention


@pytest.mark.parametrize("identity", [
    {"user_id": "u-42", "user_hash": sign("another secret", "u-42")},
    {"user_id": "u-42", "user_hash": sign(SECRET, "u-43")},
    {"user_id": "u-42", "user_hash": "not even hex"},
    {"user_id": "u-42"},
    {"user_id": "u-42", "user_hash": ""},
])
async def test_a_customer_id_without_its_signature_is_refused_and_nothing_is_stored(
        web: httpx.AsyncClient, redis_client: Redis, identity: dict[str, str]) -> None:
    response = await web.post("/api/conversations", json=identity)
    assert response.status_code == 403, response.text
    assert "user_hash" in response.json()["detail"]
    assert await conversation_keys(redis_client) == []
    assert not await redis_client.exists(keys.customer_conversations("u-42"))


@pytest.mark.parametrize("site_secret", [None], indirect=True)
async def test_without_a_secret_identified_customers_are_refused_and_anonymous_ones_chat(
        web: httpx.AsyncClient, redis_client: Redis) -> None:
    refused = await web.post("/api/conversations", json=signed("u-42"))
    assert refused.status_code == 403
    assert "CUSTOMER_ID_SECRET is not set" in refused.json()["detail"]
    assert await conversation_keys(redis_client) == []
    anonymous = await start(web)
    await say(web, anonymous, "How do I reset my password?")
    assert (await web.post("/api/conversations", json={})).status_code == 201  # an empty body is anonymous too
    assert (await web.post("/api/conversations", json={"user_hash": sign(SECRET, "u-42")})).status_code == 422


async def test_an_advisor_sees_only_that_customers_earlier_conversations(web: httpx.AsyncClient, redis_client: Redis) -> None:
    first = await start(web, signed("u-42"))
    await say(web, first, "How do I reset my password?")
    someone_else = await start(web, signed("u-7"))
    await say(web, someone_else, "How do I reset my password?")
    anonymous = await start(web)
    await say(web, anonymous, "I want to talk to a person")
    current = await start(web, signed("u-42"))
    await say(web, current, "I want to talk to a person")
    auth = await agent_auth(web, redis_client)

    history = (await web.get(previous(current), headers=auth)).json()

    assert history["customer"] == "u-42"
    assert [past["conversation_id"] for past in history["conversations"]] == [first]
    past = history["conversations"][0]
    assert past["owner"] == "bot" and past["outcome"] == "answer" and past["lang"] == "en"
    assert past["last_from"] == "bot" and past["last_message"] == ANSWER_TEXT
    assert past["started_at"] <= past["last_at"]
    # Read-only: its transcript through the handoff package.
    transcript = (await web.get(f"/api/agent/conversations/{first}", headers=auth)).json()["transcript"]
    assert [m["text"] for m in transcript if m["kind"] == "customer"] == ["How do I reset my password?"]
    # The earlier one lists the later one too; an anonymous customer has no history.
    assert [p["conversation_id"] for p in (await web.get(previous(first), headers=auth)).json()["conversations"]] == [current]
    assert (await web.get(previous(anonymous), headers=auth)).json() == {"customer": None, "conversations": []}


async def test_the_history_needs_an_agent_and_a_known_conversation(web: httpx.AsyncClient, redis_client: Redis) -> None:
    conversation_id = await start(web, signed("u-42"))
    assert (await web.get(previous(conversation_id))).status_code == 401
    await save_agent(redis_client, "ed", PASSWORD, "Ed", ["en"], ["editor"])
    login = await web.post("/api/agent/login", json={"username": "ed", "password": PASSWORD})
    web.cookies.clear()
    editor = {"Authorization": f"Bearer {login.json()['token']}"}
    assert (await web.get(previous(conversation_id), headers=editor)).status_code == 403
    auth = await agent_auth(web, redis_client)
    assert (await web.get(previous("x" * 32), headers=auth)).status_code == 404


async def test_forgetting_a_conversation_takes_it_out_of_the_customers_history(
        web: httpx.AsyncClient, redis_client: Redis) -> None:
    first, second = await start(web, signed("u-42")), await start(web, signed("u-42"))
    report = await forget(redis_client, first)
    assert report.erased["customer links"] == 1
    assert await redis_client.zrange(keys.customer_conversations("u-42"), 0, -1) == [second]
    await forget(redis_client, second)
    assert not await redis_client.exists(keys.customer_conversations("u-42"))  # the last one takes the list along


async def test_forgetting_a_customer_id_erases_all_their_conversations_and_the_link(
        web: httpx.AsyncClient, redis_client: Redis) -> None:
    first, second = await start(web, signed("u-42")), await start(web, signed("u-42"))
    for conversation_id in (first, second):
        await say(web, conversation_id, "How do I reset my password?")
    other = await start(web, signed("u-7"))
    await save_agent(redis_client, "sam", PASSWORD, "Sam", ["en"], ["agent", "supervisor"])
    login = await web.post("/api/agent/login", json={"username": "sam", "password": PASSWORD})
    web.cookies.clear()
    supervisor = {"Authorization": f"Bearer {login.json()['token']}"}

    done = await web.post("/api/agent/forget", json={"who": "u-42"}, headers=supervisor)

    assert done.status_code == 200, done.text
    assert done.json()["conversations"] == 2 and done.json()["erased"]["customer links"] == 2
    store = ConversationStore(redis_client, HandoffSettings())
    assert not await store.exists(first) and not await store.exists(second)
    assert not await redis_client.exists(keys.customer_conversations("u-42"))
    assert await store.exists(other) and await redis_client.exists(keys.customer_conversations("u-7"))
    again = await web.post("/api/agent/forget", json={"who": "u-42"}, headers=supervisor)
    assert sum(again.json()["erased"].values()) == 0


@pytest.fixture
def demo_customer(monkeypatch: pytest.MonkeyPatch) -> str:
    """DEMO_CUSTOMER_ID, as `make run` sets it (asked for before `web`, which reads it)."""
    monkeypatch.setenv("DEMO_CUSTOMER_ID", "demo-customer")
    return "demo-customer"


async def test_the_returning_customer_demo_page_signs_its_demo_customer(demo_customer: str, web: httpx.AsyncClient) -> None:
    page = await web.get("/demo/returning")
    assert page.status_code == 200
    assert f'data-user-id="demo-customer" data-user-hash="{sign(SECRET, demo_customer)}"' in page.text
    assert "frame-ancestors" in page.headers["content-security-policy"]
    conversation_id = await start(web, signed(demo_customer))  # what its widget then does
    assert conversation_id


async def test_without_a_demo_customer_there_is_no_signed_demo_page(web: httpx.AsyncClient) -> None:
    assert (await web.get("/demo/returning")).status_code == 404
