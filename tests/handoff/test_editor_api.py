"""The content team's API against a real Redis, a real Chroma (a small help centre published as v1)
and a real content worker process: roles, uploads good and bad, dry runs, blocked publishes,
rollback, preview, unanswered clusters to articles, one long job at a time, a job outliving the web app."""
from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from handoff.agents import save_agent
from handoff.connection import connect
from handoff.settings import HandoffSettings
from handoff.web.main import create_app
from knowledge.answering.serving import write_report
from knowledge.index.versions import read_head
from knowledge.publishing import jobs
from knowledge.settings import REPO_ROOT, KnowledgeSettings
from knowledge.store import make_client
from knowledge.unanswered.events import record_unanswered
from tests.knowledge.helpers import GIFT_CARDS_ID, GIFT_CARDS_MD, SMALL_KB_FILES
from ops.stack import free_port
from tests.redis_server import RedisServer

PASSWORD = "correct horse"
DELIVERY = "lumen/delivery-times-costs-en"
JOB_DEADLINE_S = 900  # a generous bound so that a hung job fails the test instead of blocking the run


class ContentWorker:
    """`python -m knowledge.publishing.worker`, as Procfile runs it, on the tests' Redis."""

    def __init__(self, redis_url: str, log: Path) -> None:
        self.redis_url, self.log = redis_url, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "REDIS_URL": self.redis_url, "PYTHONPATH": str(REPO_ROOT)}
        self.process = subprocess.Popen([sys.executable, "-m", "knowledge.publishing.worker"], cwd=REPO_ROOT, env=env,
                                        stdout=self.log.open("ab"), stderr=subprocess.STDOUT)

    def stop(self) -> None:
        """SIGTERM, as an orchestrator stops it: a running job finishes first."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=JOB_DEADLINE_S)
            self.process = None


@pytest.fixture(scope="module")
def content_worker(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContentWorker]:
    """One worker for the module (the jobs say which knowledge base); a test may stop it and start it again."""
    worker = ContentWorker(redis_server.url, tmp_path_factory.mktemp("content-worker") / "worker.log")
    worker.start()
    yield worker
    worker.stop()


def _accounts(redis_url: str) -> None:
    async def create() -> None:
        client = connect(redis_url)
        await save_agent(client, "edna", PASSWORD, "Edna", ["en", "fr"], ["editor"])
        await save_agent(client, "alex", PASSWORD, "Alex", ["en"], ["agent"])
        await save_agent(client, "both", PASSWORD, "Bo", ["en", "fr"], ["agent", "editor"])
        await client.aclose()

    asyncio.run(create())


WebApp = Callable[[], AbstractContextManager[TestClient]]


@pytest.fixture
def open_web(small_kb_v1: tuple[Path, Path], content_worker: ContentWorker, tmp_path: Path, redis_url: str,
             monkeypatch: pytest.MonkeyPatch) -> WebApp:
    """Starts a web app (each call a new instance) on this test's copy of the knowledge base and workspace."""
    chroma = tmp_path / "chroma"
    shutil.copytree(small_kb_v1[1], chroma)  # six articles published as v1 by alice
    monkeypatch.setenv("CHROMA_PATH", str(chroma))
    monkeypatch.delenv("CHROMA_HOST", raising=False)
    monkeypatch.setenv("EDITOR_DRAFTS_PATH", str(tmp_path / "drafts"))
    monkeypatch.setenv("REDIS_URL", redis_url)
    _accounts(redis_url)
    return lambda: TestClient(create_app(HandoffSettings(redis_url=redis_url, rasa_url="http://127.0.0.1:9")))


@pytest.fixture
def web(open_web: WebApp) -> Iterator[TestClient]:
    with open_web() as client:
        yield client


def log_in(web: TestClient, username: str) -> dict[str, str]:
    response = web.post("/api/agent/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    web.cookies.clear()  # each call says who it is by its bearer token
    return {"Authorization": f"Bearer {response.json()['token']}"}


def finished(web: TestClient, auth: dict[str, str], started: Any) -> dict[str, Any]:
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    deadline = time.monotonic() + JOB_DEADLINE_S
    while time.monotonic() < deadline:
        job = web.get(f"/api/editor/jobs/{job_id}", headers=auth).json()
        if job["state"] != "running":
            assert job["state"] == "done", job["error"]
            return job["result"]
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def preview(web: TestClient, auth: dict[str, str], question: str, against: str) -> dict[str, Any]:
    response = web.post("/api/editor/preview", headers=auth, json={"question": question, "lang": "en", "against": against})
    assert response.status_code == 200, response.text
    return response.json()


def test_editor_pages_need_the_editor_role_and_the_console_an_advisor(web: TestClient, redis_url: str) -> None:
    assert web.get("/api/editor/drafts").status_code == 401
    assert web.get("/api/editor/versions").status_code == 401
    advisor, editor, both = log_in(web, "alex"), log_in(web, "edna"), log_in(web, "both")
    refused = web.get("/api/editor/drafts", headers=advisor)
    assert refused.status_code == 403 and "editor role" in refused.json()["detail"]
    assert web.put("/api/editor/drafts/x.md", headers=advisor, content=b"x").status_code == 403
    assert web.get("/api/editor/drafts", headers=editor).json() == []
    assert web.get("/api/editor/me", headers=both).json()["roles"] == ["agent", "editor"]
    assert web.get("/api/agent/queue", headers=editor).status_code == 403  # an editor alone is no advisor
    assert web.get("/api/agent/queue", headers=both).status_code == 200
    assert web.get("/editor").status_code == 200

    # An account saved before roles existed is an advisor, and only that.
    raw = redis.Redis.from_url(redis_url, decode_responses=True)
    raw.hdel("handoff:agent:alex", "roles")
    assert web.get("/api/agent/me", headers=advisor).status_code == 200
    assert web.get("/api/editor/me", headers=advisor).status_code == 403


def test_the_command_line_makes_editors_and_grants_the_role_to_existing_advisors(web: TestClient, redis_url: str) -> None:
    env = {**os.environ, "REDIS_URL": redis_url, "AGENT_PASSWORD": PASSWORD}

    def handoff_cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "handoff", *args], capture_output=True, text=True, env=env, timeout=60)

    made = handoff_cli("add-agent", "nina", "--name", "Nina", "--roles", "editor")
    assert made.returncode == 0 and "editor" in made.stdout, made.stderr
    assert web.get("/api/editor/me", headers=log_in(web, "nina")).json()["roles"] == ["editor"]
    bad = handoff_cli("add-agent", "nora", "--roles", "boss")
    assert bad.returncode == 2 and "roles: choose among agent, editor" in bad.stderr
    assert web.get("/api/editor/me", headers=log_in(web, "alex")).status_code == 403
    granted = handoff_cli("grant-role", "alex", "editor")
    assert granted.returncode == 0 and "agent, editor" in granted.stdout
    advisor = log_in(web, "alex")
    assert web.get("/api/editor/me", headers=advisor).json()["roles"] == ["agent", "editor"]
    assert web.get("/api/agent/queue", headers=advisor).status_code == 200


def test_uploads_are_checked_previewed_published_listed_and_rolled_back(web: TestClient, content_worker: ContentWorker) -> None:
    auth = log_in(web, "edna")
    assert web.put("/api/editor/drafts/gift-cards.md", headers=auth, content=GIFT_CARDS_MD.encode()).status_code == 201
    assert web.put("/api/editor/drafts/empty.md", headers=auth, content=b"").status_code == 201
    prices = web.put("/api/editor/drafts/prices.csv", headers=auth, content=b"q,price\nx,1\n")
    assert prices.status_code == 201
    assert prices.json()["problems"][0]["text"].startswith("prices.csv: row 1: missing columns 'question', 'answer'")
    pdf = web.put("/api/editor/drafts/returns.pdf", headers=auth, content=b"%PDF-1.7\n" + b"\x00garbage" * 50)
    assert pdf.json()["problems"][0]["text"].startswith("returns.pdf: cannot be read as a PDF")
    assert web.get("/api/editor/drafts/returns.pdf", headers=auth).status_code == 422  # not edited as text
    huge = web.put("/api/editor/drafts/manual.md", headers=auth, content=b"x" * (16 * 1024 * 1024 + 1))
    assert huge.status_code == 413 and "split it into smaller files" in huge.json()["detail"]
    assert web.put("/api/editor/drafts/notes.txt", headers=auth, content=b"hello").status_code == 422
    assert web.put("/api/editor/drafts/..%2Fescape.md", headers=auth, content=b"x").status_code in (404, 422)

    listed = {f["name"]: f for f in web.get("/api/editor/drafts", headers=auth).json()}
    assert sorted(listed) == ["empty.md", "gift-cards.md", "prices.csv", "returns.pdf"]
    assert listed["gift-cards.md"]["articles"] == [GIFT_CARDS_ID] and listed["gift-cards.md"]["problems"] == []
    assert listed["empty.md"]["problems"][0]["text"] == "empty.md: is empty: write the article or delete the file"
    assert web.get("/api/editor/drafts/gift-cards.md", headers=auth).json()["text"] == GIFT_CARDS_MD

    on_draft = preview(web, auth, "can I pay with a gift card", "draft")
    assert (on_draft["outcome"], on_draft["article"], on_draft["knowledge_base"]) == ("answer", GIFT_CARDS_ID, "draft")
    assert on_draft["confidence"] is not None and on_draft["title"] == "Gift cards"
    assert {p["file"] for p in on_draft["problems"]} == {"empty.md", "prices.csv", "returns.pdf"}
    assert all(r["article"] != GIFT_CARDS_ID for r in on_draft["runners_up"])
    assert preview(web, auth, "can I pay with a gift card", "live")["article"] != GIFT_CARDS_ID

    dry = finished(web, auth, web.post("/api/editor/check", headers=auth))
    assert dry["dry_run"] and not dry["published"]
    assert (dry["diff"]["added"], dry["diff"]["changed"], dry["diff"]["removed"]) == ([GIFT_CARDS_ID], [], [])
    assert {p["file"] for p in dry["problems"]} == {"empty.md", "prices.csv", "returns.pdf"}
    assert [v["number"] for v in web.get("/api/editor/versions", headers=auth).json()["versions"]] == [1]

    # One job at a time: while a check waits for the worker, a publish is refused with who runs what.
    content_worker.stop()
    waiting = web.post("/api/editor/check", headers=auth)
    busy = web.post("/api/editor/publish", headers=auth, json={})
    assert busy.status_code == 409 and "wait until it has finished" in busy.json()["detail"]
    assert busy.json()["detail"].startswith("a check by edna is waiting to run")
    content_worker.start()
    assert finished(web, auth, waiting)["dry_run"]

    published = finished(web, auth, web.post("/api/editor/publish", headers=auth, json={}))
    assert published["published"] and published["version"]["number"] == 2
    assert published["version"]["author"] == "edna" and published["version"]["added"] == [GIFT_CARDS_ID]
    assert published["published_files"] == ["gift-cards.md"]
    # What published leaves the draft; the files with problems stay, for the editor to fix.
    assert sorted(f["name"] for f in web.get("/api/editor/drafts", headers=auth).json()) == ["empty.md", "prices.csv", "returns.pdf"]
    history = web.get("/api/editor/versions", headers=auth).json()
    assert history["live"] == 2
    assert [(v["number"], v["author"], v["kind"]) for v in history["versions"]] == [(2, "edna", "publish"), (1, "alice", "publish")]
    live = preview(web, auth, "can I pay with a gift card", "live")
    assert (live["outcome"], live["article"]) == ("answer", GIFT_CARDS_ID)

    assert web.post("/api/editor/rollback", headers=auth, json={"version": 9}).status_code == 404
    rolled = finished(web, auth, web.post("/api/editor/rollback", headers=auth, json={"version": 1}))
    assert rolled["version"]["number"] == 3 and rolled["version"]["note"] == "rollback to v1"
    assert rolled["diff"]["removed"] == [GIFT_CARDS_ID]
    assert web.get("/api/editor/versions", headers=auth).json()["live"] == 3
    assert preview(web, auth, "can I pay with a gift card", "live")["article"] != GIFT_CARDS_ID

    assert web.delete("/api/editor/drafts/empty.md", headers=auth).status_code == 204
    assert web.delete("/api/editor/drafts/empty.md", headers=auth).status_code == 404


def test_a_publish_breaking_question_variants_is_blocked_with_the_list_until_confirmed(web: TestClient) -> None:
    auth = log_in(web, "edna")
    delivery = next(f for f in SMALL_KB_FILES if f.name == "delivery-times-costs.md").read_text(encoding="utf-8")
    shipping = delivery.replace(DELIVERY, "lumen/shipping-en").replace("Delivery times and costs", "Shipping")
    assert web.put("/api/editor/drafts/shipping.md", headers=auth, content=shipping.encode()).status_code == 201

    blocked = finished(web, auth, web.post("/api/editor/publish", headers=auth, json={}))
    assert blocked["blocked"] and not blocked["published"] and blocked["version"] is None
    broken = [r for r in blocked["regressions"] if r["article"] == DELIVERY]
    assert broken and all(r["question"] in delivery for r in broken)
    assert all(r["text"].startswith(f'{DELIVERY}: "') for r in broken)
    assert {d["kind"] for d in blocked["duplicates"]} == {"same_answer", "shared_question"}
    assert [v["number"] for v in web.get("/api/editor/versions", headers=auth).json()["versions"]] == [1]
    assert [f["name"] for f in web.get("/api/editor/drafts", headers=auth).json()] == ["shipping.md"]

    confirmed = finished(web, auth, web.post("/api/editor/publish", headers=auth, json={"confirm": True}))
    assert confirmed["published"] and confirmed["version"]["number"] == 2
    assert confirmed["regressions"] == blocked["regressions"]


GIFT_QUESTIONS = ["can I pay with a gift card", "do you sell gift cards", "how do I use a gift card online"]
GIFT_REPLY = "Yes: gift cards are accepted online and in our shops for 12 months."


ESIM_SETUP = """---
id: lumen/esim-setup-en
title: "Setting up your eSIM"
lang: en
questions:
  - "how do I activate my esim"
  - "my new sim card is not activated yet"
---
Scan the QR code from your order e-mail: the eSIM works within an hour.
"""


def test_a_new_article_answering_the_questions_of_a_live_one_is_flagged_as_an_overlap(web: TestClient) -> None:
    auth = log_in(web, "edna")
    assert web.put("/api/editor/drafts/esim-setup.md", headers=auth, content=ESIM_SETUP.encode()).status_code == 201
    dry = finished(web, auth, web.post("/api/editor/check", headers=auth))
    forward = [o for o in dry["overlaps"] if not o["reverse"]]
    assert forward and {(o["article"], o["other"]) for o in forward} == {("lumen/esim-setup-en", "lumen/activate-sim-esim-en")}
    assert "is answered today from lumen/activate-sim-esim-en" in forward[0]["text"]
    # Flagged, not blocked: publishing semantics are those of the other checks.
    assert not dry["blocked"] and dry["diff"]["added"] == ["lumen/esim-setup-en"]


def test_publishing_only_a_broken_file_publishes_nothing_and_says_why(web: TestClient) -> None:
    auth = log_in(web, "edna")
    assert web.put("/api/editor/drafts/prices.csv", headers=auth, content=b"q,price\nx,1\n").status_code == 201
    result = finished(web, auth, web.post("/api/editor/publish", headers=auth, json={}))
    assert not result["published"] and result["version"] is None
    assert [p["file"] for p in result["problems"]] == ["prices.csv"]


def test_the_page_is_told_whether_the_bot_answers_from_the_live_version(web: TestClient, redis_url: str) -> None:
    auth = log_in(web, "edna")
    assert web.get("/api/editor/live").status_code == 401
    assert web.get("/api/editor/live", headers=auth).json() == {"live": 1, "bot": "unknown"}  # no action server
    settings = KnowledgeSettings()  # this test's CHROMA_PATH
    head = read_head(make_client(settings), settings.collection_name)
    raw = redis.Redis.from_url(redis_url)
    write_report(raw, settings.collection_name, head.kb_version, tag="actions-1")
    write_report(raw, settings.collection_name, "an-earlier-version", tag="actions-2")
    assert web.get("/api/editor/live", headers=auth).json() == {"live": 1, "bot": "loading"}
    write_report(raw, settings.collection_name, head.kb_version, tag="actions-2")
    assert web.get("/api/editor/live", headers=auth).json() == {"live": 1, "bot": "ready"}


def test_unanswered_questions_become_an_article_that_the_bot_then_answers_from(web: TestClient, redis_url: str) -> None:
    raw = redis.Redis.from_url(redis_url, decode_responses=True)
    for number, question in enumerate(GIFT_QUESTIONS):
        record_unanswered(raw, question, "en", "decline", "out_of_scope", f"conv-{number}")
    for question in ("does my esim work on a smartwatch", "can I use an esim on my apple watch"):
        record_unanswered(raw, question, "en", "unhelpful", None, "conv-w", article="lumen/activate-sim-esim-en")

    # An advisor sends the reply they wrote as a suggested article.
    conversation = web.post("/api/conversations").json()["conversation_id"]
    advisor = log_in(web, "alex")
    suggested = web.post(f"/api/agent/conversations/{conversation}/suggest-article", headers=advisor,
                         json={"question": "gift card balance", "reply": GIFT_REPLY})
    assert suggested.status_code == 201, suggested.text
    nothing_asked = web.post(f"/api/agent/conversations/{conversation}/suggest-article", headers=advisor,
                             json={"reply": GIFT_REPLY})
    assert nothing_asked.status_code == 422 and "has not asked anything" in nothing_asked.json()["detail"]
    assert web.get("/api/editor/unanswered", headers=advisor).status_code == 403

    auth = log_in(web, "edna")
    clusters = web.get("/api/editor/unanswered", headers=auth).json()
    gift = next(c for c in clusters if "gift card balance" in c["questions"])
    assert gift["lang"] == "en" and gift["count"] == 4
    assert gift["outcomes"] == {"decline": 3, "suggested": 1}
    assert gift["examples"][0] == "gift card balance"  # newest first
    assert gift["suggested_answers"] == [GIFT_REPLY]
    watch = next(c for c in clusters if "does my esim work on a smartwatch" in c["questions"])
    assert watch["closest_article"] == "lumen/activate-sim-esim-en"  # the page's default to add them to
    assert watch["unhelpful_articles"] == {"lumen/activate-sim-esim-en": 2}
    assert clusters[0]["newest_ms"] >= clusters[-1]["newest_ms"]

    drafted = web.post(f"/api/editor/unanswered/{gift['key']}/draft", headers=auth, json={"title": "Gift cards"})
    assert drafted.status_code == 201, drafted.text
    name, article_id = drafted.json()["file"]["name"], drafted.json()["article"]
    assert not drafted.json()["needs_answer"] and drafted.json()["file"]["from_cluster"]
    text = web.get(f"/api/editor/drafts/{name}", headers=auth).json()["text"]
    assert GIFT_REPLY in text and all(q in text for q in GIFT_QUESTIONS)

    variants = web.post(f"/api/editor/unanswered/{watch['key']}/variants", headers=auth,
                        json={"article": "lumen/activate-sim-esim-en"})
    assert variants.status_code == 201, variants.text
    esim = web.get(f"/api/editor/drafts/{variants.json()['file']['name']}", headers=auth).json()["text"]
    assert "does my esim work on a smartwatch" in esim and "id: lumen/activate-sim-esim-en" in esim
    assert web.post(f"/api/editor/unanswered/{watch['key']}/variants", headers=auth,
                    json={"article": "lumen/no-such-article"}).status_code == 404
    web.delete(f"/api/editor/drafts/{variants.json()['file']['name']}", headers=auth)

    published = finished(web, auth, web.post("/api/editor/publish", headers=auth, json={"confirm": True}))
    assert published["published"] and article_id in published["version"]["added"]
    assert published["handled_questions"] == 4
    answered = preview(web, auth, "can I pay with a gift card", "live")
    assert (answered["outcome"], answered["article"]) == ("answer", article_id)
    remaining = web.get("/api/editor/unanswered", headers=auth).json()
    assert all("gift card balance" not in c["questions"] for c in remaining)
    assert any("does my esim work on a smartwatch" in c["questions"] for c in remaining)
    assert web.post(f"/api/editor/unanswered/{gift['key']}/draft", headers=auth, json={}).status_code == 404


def test_a_publish_outlives_the_web_app_that_started_it(open_web: WebApp, content_worker: ContentWorker) -> None:
    content_worker.stop()  # the job is surely still to run when the first web app goes
    with open_web() as first:
        auth = log_in(first, "edna")
        assert first.put("/api/editor/drafts/gift-cards.md", headers=auth, content=GIFT_CARDS_MD.encode()).status_code == 201
        started = first.post("/api/editor/publish", headers=auth, json={})
        assert started.status_code == 202 and started.json()["state"] == "running"
    content_worker.start()
    with open_web() as second:
        auth = log_in(second, "edna")
        published = finished(second, auth, started)
        assert published["published"] and published["version"]["number"] == 2
        assert published["version"]["author"] == "edna" and published["published_files"] == ["gift-cards.md"]
        assert second.get("/api/editor/versions", headers=auth).json()["live"] == 2



def test_without_a_content_worker_or_redis_an_editor_request_is_503_with_retry_after(
        redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHROMA_PATH", str(tmp_path / "chroma"))
    monkeypatch.delenv("CHROMA_HOST", raising=False)
    monkeypatch.setenv("EDITOR_DRAFTS_PATH", str(tmp_path / "drafts"))
    # No content worker listens on database 1 (this module's worker, when running, is on database 0), and a
    # quick job is given up after 1 s instead of the 600 s a preview on a large knowledge base may take.
    no_worker = redis_url.rsplit("/", 1)[0] + "/1"
    monkeypatch.setattr(jobs, "QUICK_WAIT_S", 1)
    _accounts(no_worker)
    with TestClient(create_app(HandoffSettings(redis_url=no_worker, rasa_url="http://127.0.0.1:9"))) as web:
        auth = log_in(web, "edna")
        asked = web.post("/api/editor/preview", headers=auth, json={"question": "gift card", "lang": "en", "against": "live"})
        assert asked.status_code == 503 and "no content worker answered" in asked.json()["detail"]
        assert int(asked.headers["retry-after"]) > 0

    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with TestClient(create_app(HandoffSettings(redis_url=closed, rasa_url="http://127.0.0.1:9"))) as web:
        listed = web.get("/api/editor/drafts", headers=auth)
        assert listed.status_code == 503 and int(listed.headers["retry-after"]) > 0
