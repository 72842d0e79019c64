"""The customer API (handoff/web/customer.py) through the app, on a real Redis; Rasa is the fake."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from handoff.conversations import ConversationStore
from handoff.settings import HandoffSettings
from ops.stack import free_port
from tests.handoff.conftest import MAX_MESSAGE_CHARS
from tests.handoff.fake_rasa import ANSWER_TEXT, RESET_ARTICLE, FakeRasa

pytestmark = pytest.mark.anyio

UNKNOWN_ID = "x" * 32  # well formed, never created


async def new_conversation(web: httpx.AsyncClient) -> str:
    created = await web.post("/api/conversations")
    assert created.status_code == 201, created.text
    return created.json()["conversation_id"]


async def say(web: httpx.AsyncClient, conversation_id: str, text: str, **extra: Any) -> httpx.Response:
    return await web.post(f"/api/conversations/{conversation_id}/messages", json={"text": text, **extra})


async def test_a_new_conversation_is_owned_by_the_bot(web: httpx.AsyncClient) -> None:
    conversation_id = await new_conversation(web)
    assert len(conversation_id) >= 16
    assert conversation_id != await new_conversation(web)
    status = await web.get(f"/api/conversations/{conversation_id}")
    assert status.status_code == 200
    assert (status.json()["conversation_id"], status.json()["owner"]) == (conversation_id, "bot")


async def test_a_message_gets_the_bots_reply_with_its_payload_and_safe_html(
        web: httpx.AsyncClient, fake_rasa: FakeRasa) -> None:
    conversation_id = await new_conversation(web)
    turn = await say(web, conversation_id, "how do I reset my password?", lang="en")
    assert turn.status_code == 200, turn.text
    body = turn.json()
    assert body["owner"] == "bot"
    assert fake_rasa.received == [(conversation_id, "how do I reset my password?", {"lang": "en"})]
    # Rasa split the answer on its blank line: the customer gets it back as one reply.
    [reply] = body["replies"]
    assert (reply["outcome"], reply["article"], reply["text"]) == ("answer", RESET_ARTICLE, ANSWER_TEXT)
    [message] = body["messages"]
    assert message["kind"] == "bot" and message["reply"] == reply
    assert "<strong>Settings</strong>" in message["html"]


async def test_history_after_a_message_id_gives_exactly_what_came_later(web: httpx.AsyncClient) -> None:
    conversation_id = await new_conversation(web)
    first = (await say(web, conversation_id, "how do I reset my password?")).json()
    second = (await say(web, conversation_id, "and my PIN?")).json()
    everything = (await web.get(f"/api/conversations/{conversation_id}/messages")).json()
    assert [(m["kind"], m["text"]) for m in everything] == [
        ("customer", "how do I reset my password?"), ("bot", ANSWER_TEXT), ("customer", "and my PIN?"), ("bot", ANSWER_TEXT)]
    assert [first["message_id"], first["messages"][0]["id"], second["message_id"]] == [m["id"] for m in everything[:3]]
    after_first_answer = first["messages"][0]["id"]
    later = (await web.get(f"/api/conversations/{conversation_id}/messages", params={"after": after_first_answer})).json()
    assert [m["id"] for m in later] == [m["id"] for m in everything[2:]]
    last = everything[-1]["id"]
    assert (await web.get(f"/api/conversations/{conversation_id}/messages", params={"after": last})).json() == []


async def test_what_is_for_agents_only_is_not_in_the_customers_history(
        web: httpx.AsyncClient, store: ConversationStore) -> None:
    conversation_id = await new_conversation(web)
    turn = (await say(web, conversation_id, "how do I reset my password?")).json()
    await store.add_suggestions(conversation_id, turn["message_id"], [{"article": RESET_ARTICLE}])
    history = (await web.get(f"/api/conversations/{conversation_id}/messages")).json()
    assert [m["kind"] for m in history] == ["customer", "bot"]


async def test_an_unknown_conversation_is_404_on_every_route(web: httpx.AsyncClient, fake_rasa: FakeRasa) -> None:
    base = f"/api/conversations/{UNKNOWN_ID}"
    assert (await web.get(base)).status_code == 404
    assert (await say(web, UNKNOWN_ID, "hello")).status_code == 404
    assert (await web.get(f"{base}/messages")).status_code == 404
    assert (await web.post(f"{base}/typing")).status_code == 404
    assert (await web.post(f"{base}/feedback", json={"message_id": "1-0", "helpful": False})).status_code == 404
    assert fake_rasa.received == []


async def test_bad_input_is_refused_before_reaching_the_bot(web: httpx.AsyncClient, fake_rasa: FakeRasa) -> None:
    conversation_id = await new_conversation(web)
    too_long = await say(web, conversation_id, "x" * (MAX_MESSAGE_CHARS + 1))
    assert too_long.status_code == 413 and str(MAX_MESSAGE_CHARS) in too_long.json()["detail"]
    assert (await say(web, conversation_id, "   ")).status_code == 422
    assert (await say(web, conversation_id, "")).status_code == 422
    assert (await say(web, conversation_id, "hello", lang="de")).status_code == 422
    assert (await web.get("/api/conversations/short")).status_code == 422  # not a conversation id
    bad_after = await web.get(f"/api/conversations/{conversation_id}/messages", params={"after": "latest"})
    assert bad_after.status_code == 422
    assert fake_rasa.received == []
    assert (await web.get(f"/api/conversations/{conversation_id}/messages")).json() == []


async def test_rasa_down_is_503_and_the_retry_is_not_stored_twice(web: httpx.AsyncClient, fake_rasa: FakeRasa) -> None:
    conversation_id = await new_conversation(web)
    fake_rasa.down = True
    failed = await say(web, conversation_id, "how do I reset my password?", client_id="c-1")
    assert failed.status_code == 503 and int(failed.headers["retry-after"]) > 0
    fake_rasa.down = False
    retried = await say(web, conversation_id, "how do I reset my password?", client_id="c-1")
    assert retried.status_code == 200 and retried.json()["replies"][0]["outcome"] == "answer"
    history = (await web.get(f"/api/conversations/{conversation_id}/messages")).json()
    assert [m["kind"] for m in history] == ["customer", "bot"]


async def test_asking_for_a_person_queues_the_chat_and_pauses_the_bot(web: httpx.AsyncClient, fake_rasa: FakeRasa) -> None:
    conversation_id = await new_conversation(web)
    turn = (await say(web, conversation_id, "I want to talk to a person")).json()
    assert turn["owner"] == "queued"
    assert [(r["outcome"], r["reason"], r["route"]) for r in turn["replies"]] == [("escalate", "customer_request", "agent")]
    assert [m["event"] for m in turn["messages"] if m["kind"] == "system"] == ["queued"]
    status = (await web.get(f"/api/conversations/{conversation_id}")).json()
    assert (status["owner"], status["reason"], status["position"]) == ("queued", "customer_request", 1)
    assert fake_rasa.events[conversation_id] == [{"event": "pause"}]

    # While queued, what the customer says waits for the agent: no bot reply, nothing sent to Rasa.
    waiting = (await say(web, conversation_id, "hello? anyone?")).json()
    assert (waiting["owner"], waiting["replies"], waiting["messages"]) == ("queued", [], [])
    assert fake_rasa.texts_received(conversation_id) == ["I want to talk to a person"]


async def test_an_unhelpful_answer_hands_over(web: httpx.AsyncClient, fake_rasa: FakeRasa) -> None:
    conversation_id = await new_conversation(web)
    answer = (await say(web, conversation_id, "how do I reset my password?")).json()["messages"][0]
    helpful = await web.post(f"/api/conversations/{conversation_id}/feedback",
                             json={"message_id": answer["id"], "helpful": True})
    assert (helpful.status_code, helpful.json()["owner"], helpful.json()["replies"]) == (200, "bot", [])
    unhelpful = await web.post(f"/api/conversations/{conversation_id}/feedback",
                               json={"message_id": answer["id"], "helpful": False, "lang": "en"})
    assert unhelpful.status_code == 200, unhelpful.text
    assert unhelpful.json()["owner"] == "queued"
    assert fake_rasa.texts_received(conversation_id)[-1] == "/answer_not_helpful"
    assert (await web.get(f"/api/conversations/{conversation_id}")).json()["reason"] == "not_helpful"
    not_an_answer = await web.post(f"/api/conversations/{conversation_id}/feedback",
                                   json={"message_id": answer["id"].split("-")[0] + "-99", "helpful": False})
    assert not_an_answer.status_code == 404


async def test_a_lone_surrogate_is_refused_with_a_clear_error(web: httpx.AsyncClient, fake_rasa: FakeRasa) -> None:
    conversation_id = (await web.post("/api/conversations")).json()["conversation_id"]
    body = b'{"text": "hello \\ud800"}'  # valid JSON, not storable as UTF-8
    response = await web.post(f"/api/conversations/{conversation_id}/messages", content=body,
                              headers={"content-type": "application/json"})
    assert response.status_code == 422 and "Unicode" in response.json()["detail"]
    assert (await web.get(f"/api/conversations/{conversation_id}/messages")).json() == []
    login = await web.post("/api/agent/login", content=b'{"username": "\\ud800", "password": "x"}',
                           headers={"content-type": "application/json"})
    assert login.status_code in (401, 422)


async def test_redis_down_is_503_on_every_customer_route(redis_url: str, fake_rasa: FakeRasa, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMA_PATH", str(tmp_path / "chroma"))
    monkeypatch.delenv("CHROMA_HOST", raising=False)
    monkeypatch.setenv("EDITOR_DRAFTS_PATH", str(tmp_path / "drafts"))
    from handoff.web.main import create_app

    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    # No rate limits: a message reaches the conversation store itself.
    app = create_app(HandoffSettings(redis_url=closed, rasa_url="http://rasa.test", actions_url="http://actions.test",
                                     messages_per_conversation=0, messages_per_address=0),
                     http_transport=fake_rasa.transport())
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        created = await client.post("/api/conversations")
        assert created.status_code == 503 and created.headers["retry-after"]
        history = await client.get("/api/conversations/" + "x" * 32 + "/messages")
        assert history.status_code == 503
        said = await client.post("/api/conversations/" + "x" * 32 + "/messages", json={"text": "hello"})
        assert said.status_code == 503 and int(said.headers["retry-after"]) > 0
        login = await client.post("/api/agent/login", json={"username": "alice", "password": "secret"})
        assert login.status_code == 503


async def test_a_message_id_beyond_what_a_stream_can_hold_is_refused_clearly(web: httpx.AsyncClient) -> None:
    conversation_id = (await web.post("/api/conversations")).json()["conversation_id"]
    beyond = "99999999999999999999-0"  # 20 digits: more than 2**64 milliseconds
    for path in ("messages", "events"):
        response = await web.get(f"/api/conversations/{conversation_id}/{path}", params={"after": beyond})
        assert response.status_code == 422, path
    rated = await web.post(f"/api/conversations/{conversation_id}/feedback",
                           json={"message_id": beyond, "helpful": False})
    assert rated.status_code == 422
    far_but_valid = "9999999999999999999-0"
    assert (await web.get(f"/api/conversations/{conversation_id}/messages", params={"after": far_but_valid})).json() == []


async def test_no_reply_from_the_assistant_is_503_and_the_retry_gets_the_answer(
        web: httpx.AsyncClient, fake_rasa: FakeRasa) -> None:
    conversation_id = await new_conversation(web)
    fake_rasa.silent = True  # Rasa up, its action server down
    failed = await say(web, conversation_id, "how do I reset my password?", client_id="c-1")
    assert failed.status_code == 503 and "no reply" in failed.json()["detail"]
    assert int(failed.headers["retry-after"]) > 0
    fake_rasa.silent = False
    retried = await say(web, conversation_id, "how do I reset my password?", client_id="c-1")
    assert retried.status_code == 200 and retried.json()["replies"][0]["outcome"] == "answer"
