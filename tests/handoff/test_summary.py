"""The hand-over summary (handoff/summary.py): extractive from the customer's topic-bearing messages,
or written by an LLM over an OpenAI-compatible chat API, here a fake HTTP server (the LLM is outside
the project), with the extractive one whenever the LLM fails or is too slow."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from handoff.conversations import Message
from handoff.settings import HandoffSettings
from handoff.summary import SummaryWriter, extractive_summary, topic_questions

pytestmark = pytest.mark.anyio

BILL = "lumen/understand-bill-en"
LLM_TEXT = "The customer wants to know why their bill went up. The assistant sent the bill article."


def customer(text: str) -> Message:
    return Message(id="", kind="customer", at=0, text=text)


def bot(**reply: Any) -> Message:
    return Message(id="", kind="bot", at=0, text=str(reply.get("text", "")), reply={"lang": "en", **reply})  # type: ignore[typeddict-item]


CONVERSATION = [
    customer("hello"),
    bot(outcome="smalltalk", text="Hi! How can I help?"),
    customer("why is my bill higher this month?"),
    bot(outcome="answer", article=BILL, text="Your bill shows…", sources=[{"article": BILL, "title": "Understand your bill", "score": 0.7}]),
    customer("I want to speak to a human"),
    bot(outcome="escalate", reason="customer_request", route="agent", article=None, text="I'm putting you through."),
]


class FakeLLM:
    """An OpenAI-compatible chat completions endpoint on a real port: answers, fails (500) or stalls."""

    def __init__(self) -> None:
        self.mode = "answer"
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                fake.requests.append({"path": self.path, "body": json.loads(self.rfile.read(int(self.headers["Content-Length"])))})
                if fake.mode == "stall":
                    time.sleep(3)
                status, body = (500, {"error": "overloaded"}) if fake.mode == "fail" else (
                    200, {"choices": [{"message": {"role": "assistant", "content": LLM_TEXT}}]})
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    fake = FakeLLM()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


async def summarise(url: str | None) -> dict[str, Any]:
    settings = HandoffSettings(llm_base_url=url, llm_timeout_s=0.5, llm_model="test-model")
    async with httpx.AsyncClient() as http:
        return dict(await SummaryWriter(http, settings).summarise(CONVERSATION, "en", "customer_request", None))


def test_only_messages_the_bot_found_a_topic_in_make_the_request() -> None:
    assert topic_questions(CONVERSATION) == ["why is my bill higher this month?"]
    summary = extractive_summary(CONVERSATION, "en", "customer_request", None)
    assert summary["request"] == "why is my bill higher this month?"
    assert summary["bot_did"] == ["Answered with “Understand your bill”"]
    assert summary["text"] == "why is my bill higher this month? Answered with “Understand your bill”."
    assert not summary["urgent"]


def test_the_summary_is_in_the_conversations_language() -> None:
    summary = extractive_summary(CONVERSATION, "fr", "customer_request", None)
    assert summary["bot_did"] == ["A répondu avec « Understand your bill »"]


def test_a_request_for_a_person_alone_has_no_request_and_a_sensitive_topic_is_urgent() -> None:
    summary = extractive_summary(CONVERSATION[-2:], "en", "sensitive", "fraud")
    assert (summary["request"], summary["bot_did"], summary["urgent"]) == ("", [], True)
    assert summary["text"] == "No question before asking for an advisor."


async def test_with_an_llm_configured_it_writes_the_summary(fake_llm: FakeLLM) -> None:
    summary = await summarise(fake_llm.url)
    assert (summary["text"], summary["written_by"]) == (LLM_TEXT, "llm")
    assert (summary["request"], summary["reason"], summary["lang"]) == (
        "why is my bill higher this month?", "customer_request", "en")
    [request] = fake_llm.requests
    assert request["path"] == "/v1/chat/completions" and request["body"]["model"] == "test-model"
    assert "Customer: why is my bill higher this month?" in request["body"]["messages"][-1]["content"]


@pytest.mark.parametrize("mode", ["fail", "stall"])
async def test_when_the_llm_fails_or_stalls_the_extractive_summary_is_used(fake_llm: FakeLLM, mode: str) -> None:
    fake_llm.mode = mode
    summary = await summarise(fake_llm.url)
    assert summary == extractive_summary(CONVERSATION, "en", "customer_request", None)
    assert len(fake_llm.requests) == 1


async def test_an_unreachable_llm_falls_back_too() -> None:
    summary = await summarise("http://127.0.0.1:9/v1")
    assert summary["written_by"] == "extract"
