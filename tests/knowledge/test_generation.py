"""Generated answers through an OpenAI-compatible server (a local stand-in for the external LLM API)."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from knowledge.articles import Article
from knowledge.answering.generation import generate_answer
from knowledge.settings import KnowledgeSettings

ARTICLE = Article(id="kb/roaming", title="Roaming", lang="en", body="Roaming in the EU is included in every plan.")


class FakeLLM(BaseHTTPRequestHandler):
    mode = "ok"
    last_request: dict = {}

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeLLM.last_request = body
        if FakeLLM.mode == "error":
            self.send_response(500)
            self.end_headers()
            return
        if FakeLLM.mode == "slow":
            time.sleep(2)
        content = "NO_ANSWER" if FakeLLM.mode == "refuse" else "Yes: EU roaming is included."
        reply = {
            "id": "x", "object": "chat.completion", "created": 0, "model": "fake",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def llm_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLLM)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def _settings(url: str | None) -> KnowledgeSettings:
    return KnowledgeSettings(llm_base_url=url, llm_timeout_s=0.5)


def test_without_an_llm_the_answer_is_the_article_text() -> None:
    assert generate_answer("is roaming included?", ARTICLE, "en", _settings(None)) == ARTICLE.body


def test_the_llm_answers_from_the_retrieved_article_only(llm_url: str) -> None:
    FakeLLM.mode = "ok"
    assert generate_answer("is roaming included?", ARTICLE, "en", _settings(llm_url)) == "Yes: EU roaming is included."
    system = FakeLLM.last_request["messages"][0]["content"]
    assert ARTICLE.body in system and "ONLY" in system and "English" in system


@pytest.mark.parametrize("mode", ["error", "slow", "refuse"])
def test_llm_errors_timeouts_and_refusals_fall_back_to_the_article(llm_url: str, mode: str) -> None:
    FakeLLM.mode = mode
    assert generate_answer("is roaming included?", ARTICLE, "en", _settings(llm_url)) == ARTICLE.body


def test_an_unreachable_llm_falls_back() -> None:
    assert generate_answer("q", ARTICLE, "en", _settings("http://127.0.0.1:9/v1")) == ARTICLE.body
