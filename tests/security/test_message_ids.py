"""A customer message's client_id (issue 13, "client_id reuse with a different text"): sending the last
message again with its client_id is a retry, stored once; the same client_id with another text is not,
and is refused with a 409 that says so, instead of the new message being silently dropped."""
from __future__ import annotations

import httpx
import pytest

from tests.handoff.fake_rasa import FakeRasa
from tests.security.conftest import WebApp

pytestmark = pytest.mark.anyio


async def _say(web: httpx.AsyncClient, conversation_id: str, text: str, client_id: str) -> httpx.Response:
    return await web.post(f"/api/conversations/{conversation_id}/messages",
                          json={"text": text, "lang": "en", "client_id": client_id})


async def _customer_texts(web: httpx.AsyncClient, conversation_id: str) -> list[str]:
    messages = (await web.get(f"/api/conversations/{conversation_id}/messages")).json()
    return [message["text"] for message in messages if message["kind"] == "customer"]


async def test_a_client_id_reused_with_another_text_is_refused_and_a_retry_is_not(web_app: WebApp,
                                                                                    fake_rasa: FakeRasa) -> None:
    async with web_app() as web:
        conversation_id = (await web.post("/api/conversations")).json()["conversation_id"]
        first = await _say(web, conversation_id, "How do I reset my password?", "c-1")
        assert first.status_code == 200, first.text

        reused = await _say(web, conversation_id, "And how do I change my email?", "c-1")
        assert reused.status_code == 409, reused.text
        assert "client_id 'c-1' was already used for another message" in reused.json()["detail"]
        assert await _customer_texts(web, conversation_id) == ["How do I reset my password?"]
        assert fake_rasa.texts_received(conversation_id) == ["How do I reset my password?"]

        # The same text with the same client_id: the retry of a message whose response was lost.
        retried = await _say(web, conversation_id, "How do I reset my password?", "c-1")
        assert retried.status_code == 200, retried.text
        assert retried.json()["message_id"] == first.json()["message_id"]
        assert retried.json()["replies"] == first.json()["replies"]

        # The new message, with a client_id of its own, goes through.
        assert (await _say(web, conversation_id, "And how do I change my email?", "c-2")).status_code == 200
        assert await _customer_texts(web, conversation_id) == ["How do I reset my password?",
                                                               "And how do I change my email?"]


async def test_a_client_id_reused_while_an_advisor_has_the_chat_is_refused_too(web_app: WebApp) -> None:
    async with web_app() as web:
        conversation_id = (await web.post("/api/conversations")).json()["conversation_id"]
        assert (await _say(web, conversation_id, "I want to talk to a person", "c-1")).status_code == 200
        assert (await _say(web, conversation_id, "hello? anyone?", "c-2")).json()["owner"] == "queued"
        assert (await _say(web, conversation_id, "is anyone there?", "c-2")).status_code == 409
        assert await _customer_texts(web, conversation_id) == ["I want to talk to a person", "hello? anyone?"]
