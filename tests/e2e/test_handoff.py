"""Human handoff through the real web app, Rasa server, action server and Redis."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import redis

from knowledge import redis_keys as keys
from knowledge import wording
from handoff.agents import save_agent
from handoff.connection import connect
from knowledge.settings import REPO_ROOT
from ops.stack import Stack, free_port
from tests.e2e.handoff_clients import AgentClient, Customer, unique

pytestmark = pytest.mark.e2e

MakeAgent = Callable[..., AgentClient]


@pytest.fixture
def make_agent(stack: Stack) -> Iterator[MakeAgent]:
    made: list[AgentClient] = []

    def make(languages: tuple[str, ...] = ("en", "fr"), name: str | None = None, web: str | None = None) -> AgentClient:
        username = unique("agent")

        async def create() -> None:
            client = connect(stack.urls["redis"])
            await save_agent(client, username, AgentClient.PASSWORD, name or username, list(languages))
            await client.aclose()

        asyncio.run(create())
        base = web or stack.urls["web"]
        login = httpx.post(f"{base}/api/agent/login", json={"username": username, "password": AgentClient.PASSWORD})
        login.raise_for_status()
        agent = AgentClient(base, username, login.json()["token"])
        made.append(agent)
        return agent

    yield make
    for agent in made:
        agent.logout()


@pytest.fixture
def nobody_online(stack: Stack) -> None:
    redis.Redis.from_url(stack.urls["redis"]).delete(keys.PRESENCE)


def rasa_tracker(stack: Stack, conversation_id: str) -> dict:
    return httpx.get(f"{stack.urls['rasa']}/conversations/{conversation_id}/tracker", params={"token": stack.rasa_token},
                     timeout=30).raise_for_status().json()


def wait_until(condition: Callable[[], object], seconds: float = 20) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def test_person_request_queued_claimed_talked_handed_back_then_bot_answers(stack: Stack, make_agent: MakeAgent) -> None:
    alice = make_agent(name="Alice")
    customer = Customer(stack.urls["web"])
    customer_live = customer.live()

    turn = customer.say("I want to talk to a person")
    assert turn["owner"] == "queued"
    assert (turn["replies"][0]["outcome"], turn["replies"][0]["reason"], turn["replies"][0]["route"]) == (
        "escalate", "customer_request", "agent")
    waiting = customer.status()
    assert (waiting["owner"], waiting["reason"], waiting["position"]) == ("queued", "customer_request", 1)
    assert waiting["estimated_wait_s"] > 0
    entry = next(e for e in alice.queue() if e["conversation_id"] == customer.conversation_id)
    assert entry["reason"] == "customer_request"
    assert rasa_tracker(stack, customer.conversation_id)["paused"] is True

    assert alice.claim(customer.conversation_id).json()["status"] == "ok"
    assert customer.status()["agent_name"] == "Alice"
    agent_live = alice.live(customer.conversation_id)

    silent = customer.say("My bill is higher than usual this month, can you check?")
    assert (silent["owner"], silent["replies"]) == ("agent", [])
    alice.send(customer.conversation_id, "Hello, Alice here.")
    alice.send(customer.conversation_id, "I'm looking at your bill now.")
    customer.say("Thank you!")

    seen_by_customer = [m for m in customer_live.until_text("Thank you!") if m["kind"] != "system"]
    assert [(m["kind"], m["text"]) for m in seen_by_customer][-4:] == [
        ("customer", "My bill is higher than usual this month, can you check?"),
        ("agent", "Hello, Alice here."), ("agent", "I'm looking at your bill now."), ("customer", "Thank you!")]
    assert seen_by_customer[-2]["agent_name"] == "Alice"
    seen_by_agent = [(m["kind"], m["text"]) for m in agent_live.until_text("Thank you!") if m["kind"] in ("customer", "agent")]
    assert seen_by_agent[-4:] == [(m["kind"], m["text"]) for m in seen_by_customer[-4:]]

    package = wait_until(lambda: (p := alice.package(customer.conversation_id))["suggestions"] and p)
    assert package["status"]["reason"] == "customer_request"
    assert package["bot"]["question"] == "I want to talk to a person"
    assert [m["text"] for m in package["transcript"] if m["kind"] == "customer"][:2] == [
        "I want to talk to a person", "My bill is higher than usual this month, can you check?"]
    suggestion = package["suggestions"]["details"]
    assert suggestion["items"]

    assert alice.hand_back(customer.conversation_id).json()["status"] == "ok"
    tracker = rasa_tracker(stack, customer.conversation_id)
    assert tracker["paused"] is False
    agent_turns = [e for e in tracker["events"] if e["event"] == "bot" and (e.get("metadata") or {}).get("agent")]
    assert [e["text"] for e in agent_turns] == ["Hello, Alice here.", "I'm looking at your bill now."]

    answer = customer.say("How do I reset my password?")
    assert answer["owner"] == "bot"
    assert (answer["replies"][0]["outcome"], answer["replies"][0]["article"]) == ("answer", "lumen/reset-password-en")

    kinds_while_agent_owned = []
    owner = "bot"
    for message in customer.history():
        if message.get("event") == "agent_joined":
            owner = "agent"
        elif message.get("event") == "handed_back":
            owner = "bot"
        elif owner == "agent":
            kinds_while_agent_owned.append(message["kind"])
    assert "bot" not in kinds_while_agent_owned and "agent" in kinds_while_agent_owned
    customer_live.close()
    agent_live.close()


def test_fifty_concurrent_claims_on_ten_queued_chats_claim_each_once(stack: Stack, make_agent: MakeAgent) -> None:
    agents = [make_agent(("en",)) for _ in range(25)]
    customers = [Customer(stack.urls["web"]) for _ in range(10)]
    for customer in customers:
        assert customer.say("I'd like to speak to a human agent please")["owner"] == "queued"
    chats = [customer.conversation_id for customer in customers]
    attempts = [(agents[i % 25], chats[i % 10]) for i in range(50)]
    takers: list[tuple[AgentClient, str | None]] = [(agent, None) for agent in agents]  # "take the next chat", meanwhile
    racing = [pair for trio in zip(attempts[0::2], attempts[1::2], takers) for pair in trio]
    with ThreadPoolExecutor(max_workers=len(racing)) as pool:
        responses = list(pool.map(lambda pair: pair[0].claim(pair[1]) if pair[1] else pair[0].claim_next(), racing))
    claims = [(agent, chat, response) for (agent, chat), response in zip(racing, responses) if chat]
    taken = [(agent, response) for (agent, chat), response in zip(racing, responses) if chat is None]
    assert sorted({response.status_code for _, _, response in claims}) == [200, 409]
    assert {response.status_code for _, response in taken} <= {200, 204}
    won = [(chat, agent) for agent, chat, response in claims if response.status_code == 200 and response.json()["status"] == "ok"]
    won += [(response.json()["conversation_id"], agent) for agent, response in taken if response.status_code == 200]
    winners = {}
    for chat, agent in won:
        assert chat not in winners, "a chat was claimed twice"
        winners[chat] = agent.username
    assert sorted(winners) == sorted(chats)
    records = redis.Redis.from_url(stack.urls["redis"], decode_responses=True)
    for customer in customers:
        assert customer.status()["agent"] == winners[customer.conversation_id]
        assert records.hget(keys.conversation(customer.conversation_id), "claims") == "1"
    assert not set(chats) & {entry["conversation_id"] for entry in agents[0].queue()}


def test_reader_reconnecting_after_n_messages_receives_exactly_the_rest(stack: Stack, make_agent: MakeAgent) -> None:
    agent = make_agent()
    customer = Customer(stack.urls["web"])
    customer.say("I want to talk to a person")
    agent.claim(customer.conversation_id)
    for i in range(6):
        agent.send(customer.conversation_id, f"agent line {i}")
    everything = customer.history()
    for k in (0, 1, 5, len(everything) - 1):  # reading the rest after any message
        assert [m["id"] for m in customer.history(after=everything[k]["id"])] == [m["id"] for m in everything[k + 1:]]
    n = 5
    resumed = customer.live(last_event_id=everything[n - 1]["id"])
    assert [m["id"] for m in resumed.messages(len(everything) - n)] == [m["id"] for m in everything[n:]]
    agent.send(customer.conversation_id, "after the reconnection")
    assert resumed.next()["text"] == "after the reconnection"
    assert [m["id"] for m in customer.history(after=everything[n - 1]["id"])][: len(everything) - n] == [
        m["id"] for m in everything[n:]]
    resumed.close()


def test_redis_killed_mid_conversation_loses_no_queued_chat_and_no_message(stack: Stack, make_agent: MakeAgent) -> None:
    agent = make_agent()
    talking, waiting, also_waiting = Customer(stack.urls["web"]), Customer(stack.urls["web"]), Customer(stack.urls["web"])
    talking.say("I want to talk to a person")
    waiting.say("Je veux parler à un conseiller")
    also_waiting.say("I want to talk to a person")
    agent.claim(talking.conversation_id)
    acknowledged = []
    for i in range(5):
        acknowledged.append(agent.send(talking.conversation_id, f"before the crash {i}")["message_id"])
        acknowledged.append(talking.say(f"customer line {i}")["message_id"])
    acknowledged.append(talking.say("still there?")["message_id"])
    queued = [e["conversation_id"] for e in agent.queue()]
    assert {waiting.conversation_id, also_waiting.conversation_id} <= set(queued)

    stack.kill("redis")
    stack.start_again("redis")

    assert [e["conversation_id"] for e in agent.queue()] == queued  # same chats, same order
    assert waiting.conversation_id in [e["conversation_id"] for e in agent.queue()]
    assert waiting.status()["owner"] == "queued"
    assert talking.status()["agent"] == agent.username
    stored = [m["id"] for m in talking.history()]
    assert [i for i in stored if i in acknowledged] == acknowledged
    agent.send(talking.conversation_id, "after the crash")
    assert talking.history()[-1]["text"] == "after the crash"


def test_no_agent_online_the_bot_takes_contact_details_and_files_a_ticket(
        stack: Stack, nobody_online: None, make_agent: MakeAgent) -> None:
    customer = Customer(stack.urls["web"])
    customer.say("My internet has been down for three days")
    turn = customer.say("I want to talk to a person")
    assert turn["owner"] == "bot"
    assert (turn["replies"][0]["outcome"], turn["replies"][0]["route"]) == ("escalate", "ticket")
    retry = customer.say("my number is 12345")
    assert [r["outcome"] for r in retry["replies"]] == ["contact_invalid"] and retry["owner"] == "bot"
    done = customer.say("jane.doe@example.com")
    assert [r["outcome"] for r in done["replies"]] == ["ticket"], done
    ticket_reply = done["replies"][0]
    assert ticket_reply["reason"] == "customer_request"

    next_agent = make_agent()
    tickets = next_agent.http.get("/api/agent/tickets").raise_for_status().json()
    ticket = next(t for t in tickets if t["ticket_id"] == ticket_reply["ticket"])
    assert ticket["contact"] == "jane.doe@example.com"
    written = [m["text"] for m in ticket["transcript"] if m["kind"] == "customer"]
    assert written == ["My internet has been down for three days", "I want to talk to a person",
                       "my number is 12345", "jane.doe@example.com"]


@pytest.fixture
def impatient_web(stack: Stack) -> Iterator[str]:
    """A second web app on the stack that sends a chat back to the bot after 2 s in the queue. Stopped
    after the test (requested before `make_agent`, whose agents log out of it first): it would do the
    same to the waiting chats of every later test."""
    port = free_port()
    stack.start("impatient-web", [str(REPO_ROOT / ".venv-app/bin/uvicorn"), "handoff.web.main:create_app", "--factory",
                                  "--host", "127.0.0.1", "--port", str(port)],
                health=f"http://127.0.0.1:{port}/healthz", env={"MAX_WAIT_S": "2", "RELEASE_EVERY_S": "0.5"})
    yield f"http://127.0.0.1:{port}"
    web = stack.processes.pop("impatient-web")
    web.terminate()
    web.wait(timeout=30)


def test_a_chat_waiting_past_the_limit_goes_back_to_the_bot_which_offers_a_ticket(
        stack: Stack, impatient_web: str, make_agent: MakeAgent) -> None:
    web = impatient_web
    make_agent(("en",), web=web)  # online, so the chat is queued; then nobody claims it
    customer = Customer(web)
    assert customer.say("I want to talk to a person")["owner"] == "queued"
    wait_until(lambda: customer.status()["owner"] == "bot", seconds=30)

    def bot_replies_after_no_agent() -> list[dict]:
        history = customer.history()
        handed_back = [i for i, m in enumerate(history) if m.get("event") == "no_agent"]
        return [m for m in history[handed_back[0] + 1:] if m["kind"] == "bot"] if handed_back else []

    # The customer answers the bot's offer of a ticket, so waits for it as a person would.
    wait_until(lambda: bool(bot_replies_after_no_agent()), seconds=30)
    assert bot_replies_after_no_agent()[-1]["text"]
    done = customer.say("+33 6 12 34 56 78")
    ticket_reply = next(r for r in done["replies"] if r.get("outcome") == "ticket")
    assert ticket_reply["reason"] == "customer_request"


def test_agent_api_needs_a_login_and_customers_need_their_token(stack: Stack) -> None:
    web = stack.urls["web"]
    assert httpx.get(f"{web}/api/agent/queue").status_code == 401
    assert httpx.get(f"{web}/api/agent/queue", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert httpx.post(f"{web}/api/agent/login", json={"username": "nobody", "password": "x"}).status_code == 401
    assert httpx.get(f"{web}/api/conversations/{'x' * 32}/messages").status_code == 404
    assert httpx.post(f"{web}/api/conversations/{'x' * 32}/messages", json={"text": "hi"}).status_code == 404
    spec = httpx.get(f"{web}/openapi.json").json()
    assert {"/api/agent/login", "/api/agent/queue", "/api/agent/conversations/{conversation_id}/claim",
            "/api/agent/conversations/{conversation_id}/hand-back"} <= set(spec["paths"])


def test_handoff_cli_creates_an_agent_who_can_log_in(stack: Stack) -> None:
    username = unique("cli")
    env = {**os.environ, "REDIS_URL": stack.urls["redis"], "AGENT_PASSWORD": "a long enough secret"}
    created = subprocess.run([sys.executable, "-m", "handoff", "add-agent", username, "--name", "Camille", "--languages", "fr"],
                             env=env, capture_output=True, text=True, cwd=REPO_ROOT)
    assert created.returncode == 0, created.stderr
    login = httpx.post(f"{stack.urls['web']}/api/agent/login", json={"username": username, "password": "a long enough secret"})
    assert login.json()["agent"] == {"username": username, "display_name": "Camille", "languages": ["fr"]}
    bad = subprocess.run([sys.executable, "-m", "handoff", "add-agent", "x", "--languages", "de"],
                         env=env, capture_output=True, text=True, cwd=REPO_ROOT)
    assert bad.returncode == 2 and "languages" in bad.stderr


def test_a_customer_cannot_send_an_internal_intent(stack: Stack, nobody_online: None) -> None:
    customer = Customer(stack.urls["web"])
    turn = customer.say('/EXTERNAL_no_agent{"reason":"sensitive"}')
    no_advisor_in_time = wording.text("utter_no_advisor_in_time", "en")
    assert all(r.get("text") != no_advisor_in_time for r in turn["replies"])
    assert all(r.get("route") != "ticket" for r in turn["replies"])


def test_rasas_http_api_refuses_requests_without_its_token(stack: Stack) -> None:
    rasa = stack.urls["rasa"]
    assert httpx.get(f"{rasa}/conversations/someone/tracker", timeout=30).status_code == 401
    assert httpx.delete(f"{rasa}/model", timeout=30).status_code == 401
    assert httpx.get(f"{rasa}/status", params={"token": stack.rasa_token}, timeout=30).status_code == 200


def test_the_action_server_refuses_calls_without_its_token(stack: Stack) -> None:
    actions = stack.urls["actions"]
    ticket = {"next_action": "action_file_ticket", "tracker": {"sender_id": "someone-else"}, "domain": {}}
    assert httpx.post(f"{actions}/webhook", json=ticket, timeout=30).status_code == 401
    assert httpx.get(f"{actions}/health", timeout=30).status_code == 200
