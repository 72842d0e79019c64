"""Faults mid-conversation, through the real web app: Redis, the Rasa server and the action server
crash in turn (SIGKILL) and come back, the web app running all along.

The customer's next message gets a clear answer (503 with Retry-After) within their patience, the
retry of that message with the same client_id after the recovery is answered, and the conversation's
history holds every acknowledged message once, in order.

"Restart" for Redis is what the stack's Redis does after a crash: it starts again on its own
append-only file (fsynced on every write, as `make run`'s), so nothing written before is lost.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from ops.stack import Stack, warm_up_actions
from tests.e2e.browser import NewTab, Screenshots, Widget

pytestmark = pytest.mark.e2e

# How long a customer waits for any answer, a fault's included: past it, the request fails (ReadTimeout).
PATIENCE_S = 5.0
# The first answers, and the retry once a process is back, may wait on a cold Rasa or action server.
RECOVERED_TIMEOUT_S = 120.0


class Chat:
    """A customer of the web app's API who keeps what it acknowledged: (message id, text)."""

    def __init__(self, web_url: str) -> None:
        self.http = httpx.Client(base_url=web_url, timeout=RECOVERED_TIMEOUT_S)
        self.conversation_id: str = self.http.post("/api/conversations").raise_for_status().json()["conversation_id"]
        self.acknowledged: list[tuple[str, str]] = []

    def send(self, text: str, client_id: str, timeout: float = RECOVERED_TIMEOUT_S) -> httpx.Response:
        response = self.http.post(f"/api/conversations/{self.conversation_id}/messages",
                                  json={"text": text, "lang": "en", "client_id": client_id}, timeout=timeout)
        if response.status_code == 200:
            self.acknowledged.append((response.json()["message_id"], text))
        return response

    def say(self, text: str) -> dict[str, Any]:
        response = self.send(text, uuid.uuid4().hex)
        assert response.status_code == 200, response.text
        turn = response.json()
        assert turn["replies"], turn  # the bot answered
        return turn

    def history(self) -> list[dict[str, Any]]:
        return self.http.get(f"/api/conversations/{self.conversation_id}/messages").raise_for_status().json()


@contextmanager
def crashed(stack: Stack, name: str) -> Iterator[None]:
    """`name` killed for the block, then started again (whatever the block did), as a supervisor would."""
    stack.kill(name)
    try:
        yield
    finally:
        started = time.monotonic()
        stack.start_again(name)
        if name == "actions":  # the knowledge base loads on the first call: the deployment's warm-up
            warm_up_actions(stack.urls["actions"], token=stack.actions_token)
        print(f"{name} back after {time.monotonic() - started:.1f} s")  # figures for the report


def _answered_within_patience(chat: Chat, text: str, client_id: str) -> httpx.Response:
    started = time.monotonic()
    response = chat.send(text, client_id, timeout=PATIENCE_S)
    print(f"{text!r}: {response.status_code} after {time.monotonic() - started:.2f} s")  # figures for the report
    return response


@pytest.mark.parametrize(("process", "cause"), [
    ("redis", "conversation store"),
    ("rasa", "assistant"),
    ("actions", "assistant"),
], ids=["redis", "rasa", "action-server"])
def test_a_crash_mid_conversation_gets_a_clear_answer_and_loses_or_repeats_nothing(
        warm_stack: Stack, process: str, cause: str) -> None:
    chat = Chat(warm_stack.urls["web"])
    chat.say("How do I reset my password?")
    chat.say("How do I activate my eSIM?")
    asked, client_id = "How do I track my order?", uuid.uuid4().hex

    with crashed(warm_stack, process):
        for _ in range(2):  # the widget's retries while it is down: the same client_id
            refused = _answered_within_patience(chat, asked, client_id)
            assert refused.status_code == 503, refused.text
            assert int(refused.headers["retry-after"]) > 0
            assert cause in refused.json()["detail"]
        if process == "redis":
            started = chat.http.post("/api/conversations", timeout=PATIENCE_S)
            read = chat.http.get(f"/api/conversations/{chat.conversation_id}/messages", timeout=PATIENCE_S)
            for response in (started, read):
                assert response.status_code == 503 and int(response.headers["retry-after"]) > 0, response.text

    retried = chat.send(asked, client_id)
    assert retried.status_code == 200, retried.text
    assert retried.json()["replies"], retried.json()
    chat.say("How do I change my PIN?")

    history = chat.history()
    said = [(message["id"], message["text"]) for message in history if message["kind"] == "customer"]
    assert said == chat.acknowledged  # every acknowledged message once, in order; nothing else from the customer
    assert [text for _, text in said] == [
        "How do I reset my password?", "How do I activate my eSIM?", asked, "How do I change my PIN?"]
    kinds = [message["kind"] for message in history] + ["end"]
    assert [kinds[i + 1] for i, kind in enumerate(kinds) if kind == "customer"] == ["bot"] * 4, kinds  # each answered


# What the widget says while a service behind the web app is down, per language, and its retry button.
UNAVAILABLE = {"en": ("I can't answer right now, please try again in a moment", "Retry"),
               "fr": ("Je ne peux pas vous répondre pour le moment, merci de réessayer dans un instant", "Réessayer")}


@pytest.mark.browser
def test_the_widget_says_it_cannot_answer_while_the_action_server_is_down_and_the_retry_gets_the_answer(
        warm_stack: Stack, new_tab: NewTab, shots: Screenshots) -> None:
    first = {"en": "How do I reset my password?", "fr": "Comment réinitialiser mon mot de passe ?"}
    then = {"en": "How do I track my order?", "fr": "Comment suivre ma commande ?"}
    widgets = {}
    for lang in UNAVAILABLE:
        page = new_tab().page
        page.goto(f"{warm_stack.urls['web']}/demo?lang={lang}")
        widgets[lang] = widget = Widget(page)
        widget.open()
        widget.ask(first[lang])
        widget.wait_for_bot_replies(1)

    with crashed(warm_stack, "actions"):
        for lang, widget in widgets.items():
            widget.ask(then[lang])
        for lang, (sentence, retry) in UNAVAILABLE.items():
            asked = widgets[lang].customer_rows.last
            expect(asked.locator(".meta")).to_contain_text(sentence, timeout=PATIENCE_S * 1000)
            shots(widgets[lang].page, f"unavailable-{lang}")
            # Past its own retries, the widget leaves the choice to the customer.
            expect(asked.get_by_role("button", name=retry)).to_be_visible(timeout=RECOVERED_TIMEOUT_S * 1000)
            expect(asked.locator(".meta")).to_contain_text(sentence)

    for lang, (_, retry) in UNAVAILABLE.items():
        widget = widgets[lang]
        widget.customer_rows.last.get_by_role("button", name=retry).click()
        widget.wait_for_bot_replies(2)
        expect(widget.customer_rows.last.locator(".meta time")).to_be_visible()
        shots(widget.page, f"answered-after-recovery-{lang}")
        stored = httpx.get(f"{warm_stack.urls['web']}/api/conversations/{widget.conversation_id()}/messages").json()
        assert [m["text"] for m in stored if m["kind"] == "customer"] == [first[lang], then[lang]]
        kinds = [m["kind"] for m in stored]
        assert kinds[kinds.index("customer", 1) + 1] == "bot"  # the second question answered
