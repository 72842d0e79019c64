"""The steering dashboard and the answer review in a real browser (chromium), against the real web app,
Redis, an SQLite insights store and a content worker: a supervisor signs in, the charts are drawn and the
cards say what the summary API says, the period changes, the CSV export downloads the period's days, and
one answer is marked on the review page; an editor applies the proposed answer threshold as a new version and
rolls it back from the editor's versions. Screenshots: var/screenshots/<test>/insights-*.png, review-*.png.

The pages need no Rasa: this module starts only Redis, the web app and a content worker (the top unanswered
questions are the content team's clusters) on three weeks of service written into the store beforehand."""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import redis
from playwright.sync_api import Browser, Page, expect

from handoff.agents import save_agent
from handoff.connection import connect
from handoff.insights.events import EventKind
from handoff.insights.review import Verdict, mark
from handoff.insights.store import make_engine
from knowledge.settings import REPO_ROOT
from knowledge.unanswered.events import record_unanswered
from ops.stack import Stack, free_port
from tests.e2e.browser import PASSWORD, run_async, screenshots_folder
from tests.e2e.insights_history import seed_history
from tests.handoff.insights.events_by_hand import Events

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHARTS = ("chart-daily", "chart-escalations", "chart-conformity", "chart-articles")
# Clustering runs in the content worker, which loads the embedding model first.
CLUSTERS_TIMEOUT_MS = 300_000
UNANSWERED = ["can I pay my bill with bitcoin", "do you accept bitcoin for the bill", "bitcoin payment for my invoice"]


@dataclass(frozen=True)
class InsightsSite:
    """The web app's address and the supervisor (also reviewer and editor) who signs in."""

    web: str
    username: str


@pytest.fixture(scope="module")
def insights_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The site's insights store (SQLite): a test may add events and reviews to it."""
    return f"sqlite:///{tmp_path_factory.mktemp('insights-store') / 'insights.db'}"


@pytest.fixture(scope="module")
def insights_site(tmp_path_factory: pytest.TempPathFactory, small_kb_v1: tuple[Path, Path],
                  insights_store: str) -> Iterator[InsightsSite]:
    workdir = tmp_path_factory.mktemp("insights-site")
    shutil.copytree(small_kb_v1[1], workdir / "chroma")
    database_url = insights_store
    seed_history(database_url)
    redis_port, web_port = free_port(), free_port()
    redis_url, web = f"redis://127.0.0.1:{redis_port}/0", f"http://127.0.0.1:{web_port}"
    # The web app's settings: its own Redis, store and help centre; no Rasa (nothing here talks to the bot).
    settings = {"REDIS_URL": redis_url, "DATABASE_URL": database_url, "CHROMA_PATH": str(workdir / "chroma"),
                "EDITOR_DRAFTS_PATH": str(workdir / "drafts"), "RASA_URL": "http://127.0.0.1:9", "SECURE_COOKIES": "false",
                "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO_ROOT)}
    venv = REPO_ROOT / ".venv-app" / "bin"
    processes = {  # name -> (command, the address answering once it is up)
        "redis": (["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--dir", str(workdir), "--save", ""], None),
        "web": ([str(venv / "uvicorn"), "handoff.web.main:create_app", "--factory", "--timeout-graceful-shutdown", "5",
                 "--host", "127.0.0.1", "--port", str(web_port)], f"{web}/healthz"),
        "worker": ([str(venv / "python"), "-m", "knowledge.publishing.worker"], None),
    }
    site = Stack(workdir, {**{k: v for k, v in os.environ.items() if k != "CHROMA_HOST"}, **settings})
    try:
        for name, (command, health) in processes.items():
            site.start(name, command, health=health)

        async def create_supervisor() -> None:
            client = connect(redis_url)
            await save_agent(client, "sam", PASSWORD, "Sam Supervisor", ["en", "fr"], ["supervisor", "reviewer", "editor"])
            await client.aclose()

        run_async(create_supervisor)
        unanswered = redis.Redis.from_url(redis_url, decode_responses=True)
        for number, question in enumerate(UNANSWERED):
            record_unanswered(unanswered, question, "en", "decline", "out_of_scope", f"conversation-{number}")
        yield InsightsSite(web, "sam")
    finally:
        site.stop()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    if request.session.testsfailed:
        folder = screenshots_folder(request.node.name)
        folder.mkdir(parents=True, exist_ok=True)
        opened.screenshot(path=str(folder / "failed.png"), full_page=True)
    context.close()
    assert errors == []


class Shots:
    """var/screenshots/<test>/<page>-<step>.png, the whole page."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def __call__(self, page: Page, name: str) -> Path:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def shown_percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def summary(page: Page, web: str, days: int) -> dict[str, Any]:
    last = datetime.now(timezone.utc).date()
    first = last - timedelta(days=days - 1)
    answer = page.request.get(f"{web}/api/insights/summary", params={"from": first.isoformat(), "to": last.isoformat()})
    assert answer.ok, answer.text()
    return answer.json()


def expect_cards(page: Page, figures: dict[str, Any]) -> None:
    expect(page.get_by_test_id("value-conversations")).to_have_text(f"{figures['conversations']:,}")
    expect(page.get_by_test_id("value-self-care")).to_have_text(shown_percent(figures["self_care_rate"]))
    expect(page.get_by_test_id("value-answer-rate")).to_have_text(shown_percent(figures["answer_rate"]))
    expect(page.get_by_test_id("value-conformity")).to_have_text(shown_percent(figures["conformity"]["estimate"]))
    expect(page.get_by_test_id("value-handovers")).to_have_text(str(figures["handovers"]))
    expect(page.get_by_test_id("value-tickets")).to_have_text(str(figures["tickets"]["opened"]))
    expect(page.get_by_test_id("value-csat")).to_have_text(f"{figures['csat']['mean']:.2f} / 5")


def drawn_points(page: Page, chart: str) -> list[int]:
    """How many values each dataset of the chart holds, as Chart.js has it (None: no chart on that canvas)."""
    return page.evaluate("id => { const c = Chart.getChart(id); return c ? c.data.datasets.map(d => d.data.length) : null; }", chart)


def test_a_supervisor_reads_the_dashboard_changes_the_period_exports_csv_and_reviews_an_answer(
        insights_site: InsightsSite, page: Page, request: pytest.FixtureRequest) -> None:
    web = insights_site.web
    shots = Shots(screenshots_folder(request.node.name))
    page.goto(f"{web}/insights")
    page.locator("#login-username").fill(insights_site.username)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page.locator("#app")).to_be_visible()

    week = summary(page, web, 7)
    expect_cards(page, week)
    for chart in CHARTS:
        expect(page.locator(f"canvas#{chart}")).to_be_visible()
    assert drawn_points(page, "chart-daily") == [7, 7, 7]
    assert drawn_points(page, "chart-escalations") == [len(week["escalations"])]
    assert drawn_points(page, "chart-conformity") == [3, 3, 3]  # all answers, English, French
    # Reviewed answers 10 correct in 12 run under the 95 % target: the alert says so.
    assert week["conformity"]["alert"]
    expect(page.locator("#alert")).to_be_visible()
    expect(page.get_by_test_id("article-row")).to_have_count(len(week["articles"][:10]))
    shots(page, "insights-1-last-7-days")

    page.get_by_role("button", name="Last 30 days").click()
    month = summary(page, web, 30)
    assert month["conversations"] > week["conversations"]
    expect_cards(page, month)
    expect(page.locator("#period")).to_contain_text(f"{month['conversations']} conversations")
    assert drawn_points(page, "chart-daily") == [30, 30, 30]
    shots(page, "insights-2-last-30-days")

    with page.expect_download() as download:
        page.locator("#export").click()
    exported = download.value
    assert re.fullmatch(r"insights-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv", exported.suggested_filename)
    rows = list(csv.DictReader(io.StringIO(Path(exported.path()).read_text(encoding="utf-8"))))
    assert len(rows) == 30
    assert [row["day"] for row in rows] == [day["day"] for day in month["by_day"]]
    assert sum(int(row["conversations"]) for row in rows) == month["conversations"]

    page.locator("#app-lang").select_option("fr")
    expect(page.get_by_role("heading", name="Transferts par motif")).to_be_visible()
    expect(page.get_by_test_id("unanswered-cluster").first).to_contain_text("bitcoin", timeout=CLUSTERS_TIMEOUT_MS)
    shots(page, "insights-3-french-unanswered")
    page.locator("#app-lang").select_option("en")

    # The review page: the same session; key 1 marks the answer shown as correct.
    page.goto(f"{web}/review")
    item = page.get_by_test_id("review-item")
    expect(item).to_be_visible()
    event_id = item.get_attribute("data-event-id")
    shots(page, "review-1-an-answer")
    reviewed_before = summary(page, web, 7)["conformity"]["reviewed"]
    page.keyboard.press("1")
    expect(page.locator("#counter")).to_contain_text("1 marked")
    expect(page.get_by_test_id("review-item")).not_to_have_attribute("data-event-id", event_id or "")
    assert summary(page, web, 7)["conformity"]["reviewed"] == reviewed_before + 1
    again = page.request.post(f"{web}/api/insights/review/{event_id}", data={"verdict": "correct"},
                              headers={"Origin": web})
    assert again.status == 409  # marked once, by one reviewer
    shots(page, "review-2-marked")


def _sure_answers_reviewed_correct(database_url: str, count: int = 40) -> None:
    """Today's answers at a confidence none of the history reaches, all marked correct: a threshold is proposed."""
    engine = make_engine(database_url)
    events = Events()
    today = datetime.now(timezone.utc).date()
    ids = [events.add(today, EventKind.BOT_REPLY, f"sure-{i}", "en", outcome="answer", article="lumen/failed-payment-en",
                      confidence=0.999, question="my payment failed", answer="a") for i in range(count)]
    events.write(engine)
    for event_id in ids:
        mark(engine, event_id, "rita", Verdict.CORRECT)
    engine.dispose()


def test_an_editor_applies_the_proposed_threshold_and_rolls_it_back_from_the_versions(
        insights_site: InsightsSite, insights_store: str, page: Page, request: pytest.FixtureRequest) -> None:
    web = insights_site.web
    shots = Shots(screenshots_folder(request.node.name))
    _sure_answers_reviewed_correct(insights_store)
    page.goto(f"{web}/insights")
    page.locator("#login-username").fill(insights_site.username)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page.get_by_test_id("proposal")).to_be_visible()
    shown = page.request.get(f"{web}/api/insights/proposal").json()
    assert shown["apply_refused"] is None and shown["proposed_threshold"] is not None
    live = shown["live_version"]
    expect(page.locator("#proposal")).to_contain_text(f"live articles (v{live}) again")
    shots(page, "insights-proposal")

    page.locator("#apply-proposal").click()
    expect(page.locator("#toast")).to_contain_text(f"Applied: v{live + 1} is live")
    expect(page.get_by_test_id("live-thresholds")).to_contain_text(
        f"v{live + 1}, live, sets the answer threshold from reviewed answers: every language ≥ {shown['proposed_threshold']:.3f}")
    versions = page.request.get(f"{web}/api/editor/versions").json()
    assert versions["live"] == live + 1
    applied = versions["versions"][0]
    assert (applied["kind"], applied["author"]) == ("thresholds", insights_site.username)
    assert applied["answer_thresholds"] == {"*": pytest.approx(shown["proposed_threshold"])}
    assert applied["note"].startswith(f"thresholds from {shown['reviewed']} reviewed answers")

    page.goto(f"{web}/editor")
    page.get_by_role("tab", name="Versions").click()
    row = page.locator(f"tr[data-version='{live + 1}']")
    expect(row.get_by_test_id("version-thresholds")).to_contain_text("answer threshold all languages")
    shots(page, "editor-versions-with-thresholds")
    page.locator(f"button[data-rollback='{live}']").click()
    page.locator(f"button[data-rollback='{live}']").click()  # armed, then confirmed
    expect(page.locator("#toast")).to_contain_text(f"v{live} is live again (as v{live + 2})")
    rolled = page.request.get(f"{web}/api/editor/versions").json()
    assert rolled["live"] == live + 2 and rolled["versions"][0]["answer_thresholds"] == {}
