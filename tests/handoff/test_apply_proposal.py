"""Applying the threshold proposal of the reviewed answers as a new knowledge-base version, through the web app
(real Redis, real Chroma with a small help centre published as v1, a real content worker, the insights store
on SQLite): who may, what is refused and why, the bot's decision before, after and after the rollback."""
from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from handoff.agents import save_agent
from handoff.connection import connect
from handoff.insights.events import EventKind
from handoff.insights.review import Verdict, mark
from handoff.insights.store import make_engine
from tests.handoff.insights.events_by_hand import Events
from tests.handoff.test_editor_api import (  # noqa: F401 (fixtures)
    PASSWORD,
    WebApp,
    content_worker,
    finished,
    log_in,
    open_web,
    preview,
)

PROBE = "payment"  # answered from the failed-payment article with little confidence
RIGHT, WRONG = 30, 10
TODAY = datetime.now(timezone.utc).date()


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'insights.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


@pytest.fixture
def web(open_web: WebApp, database_url: str, redis_url: str) -> Iterator[TestClient]:  # noqa: F811
    async def accounts() -> None:
        client = connect(redis_url)
        await save_agent(client, "pat", PASSWORD, "Pat", ["en"], ["supervisor", "editor"])
        await save_agent(client, "sue", PASSWORD, "Sue", ["en"], ["supervisor", "reviewer"])
        await client.aclose()

    with open_web() as client:
        asyncio.run(accounts())
        yield client


def reviewed(database_url: str, confidence: float) -> float:
    """RIGHT answers marked correct from just above `confidence` up, WRONG ones marked wrong just below and
    around it; the threshold these reviews propose (target 0.97: none of the wrong ones can stay)."""
    engine = make_engine(database_url)
    events = Events()
    right = [round(confidence + 0.02 + i * 0.001, 6) for i in range(RIGHT)]
    wrong = [round(confidence - 0.05 + i * 0.006, 6) for i in range(WRONG)]
    ids = [events.add(TODAY, EventKind.BOT_REPLY, f"c{i}", "en", outcome="answer", article="lumen/failed-payment-en",
                      confidence=c, question=f"q{i}", answer="a") for i, c in enumerate(right + wrong)]
    events.write(engine)
    for event_id, verdict in zip(ids, [Verdict.CORRECT] * RIGHT + [Verdict.SHOULD_HAVE_DECLINED] * WRONG):
        mark(engine, event_id, "sue", verdict)
    engine.dispose()
    return min(right)


def test_an_editor_applies_the_proposal_as_a_version_that_a_rollback_undoes(web: TestClient, database_url: str) -> None:
    pat, sue = log_in(web, "pat"), log_in(web, "sue")
    before = preview(web, pat, PROBE, "live")
    assert before["outcome"] == "answer" and before["confidence"] < 0.9

    # Nothing reviewed: nothing to apply, and nothing changes.
    empty = web.get("/api/insights/proposal", headers=pat).json()
    assert empty["proposed_threshold"] is None and (empty["live_version"], empty["live_answer_thresholds"]) == (1, {})
    assert empty["apply_refused"].startswith("0 reviewed answers in this period: a proposal is applied from 30 at least")
    refused = web.post("/api/insights/proposal/apply", headers=pat, json={"version": 1})
    assert refused.status_code == 422 and refused.json()["detail"] == empty["apply_refused"]

    proposed = reviewed(database_url, before["confidence"])
    shown = web.get("/api/insights/proposal?lang=en", headers=sue).json()
    assert shown["proposed_threshold"] == pytest.approx(proposed) and shown["reviewed"] == RIGHT + WRONG
    assert (shown["live_version"], shown["apply_refused"]) == (1, None)
    assert web.post("/api/insights/proposal/apply?lang=en", headers=sue, json={"version": 1}).status_code == 403
    moved = web.post("/api/insights/proposal/apply?lang=en", headers=pat, json={"version": 7})
    assert moved.status_code == 409 and "moved since the proposal was shown: v7 then, v1 live now" in moved.json()["detail"]
    by_channel = web.post("/api/insights/proposal/apply?channel=widget", headers=pat, json={"version": 1})
    assert by_channel.status_code == 422 and "same on every channel" in by_channel.json()["detail"]
    assert [v["number"] for v in web.get("/api/editor/versions", headers=pat).json()["versions"]] == [1]

    applied = finished(web, pat, web.post("/api/insights/proposal/apply?lang=en", headers=pat, json={"version": 1}))
    version = applied["version"]
    assert (version["number"], version["kind"], version["author"]) == (2, "thresholds", "pat")
    assert version["answer_thresholds"] == {"en": pytest.approx(proposed)}
    first_day = TODAY - timedelta(days=6)  # the default period: the last 7 days
    assert version["note"] == f"thresholds from {RIGHT + WRONG} reviewed answers ({first_day} to {TODAY}, en)"
    assert applied["diff"]["added"] == applied["diff"]["changed"] == applied["diff"]["removed"] == []
    now = web.get("/api/insights/proposal?lang=en", headers=pat).json()
    assert (now["live_version"], now["live_answer_thresholds"]) == (2, {"en": pytest.approx(proposed)})
    after = preview(web, pat, PROBE, "live")
    assert after["outcome"] == "decline" and after["confidence"] == pytest.approx(before["confidence"])

    history = web.get("/api/editor/versions", headers=pat).json()
    assert history["live"] == 2 and [v["kind"] for v in history["versions"]] == ["thresholds", "publish"]
    rolled = finished(web, pat, web.post("/api/editor/rollback", headers=pat, json={"version": 1}))
    assert rolled["version"]["number"] == 3 and rolled["version"]["answer_thresholds"] == {}
    again = preview(web, pat, PROBE, "live")
    assert (again["outcome"], again["article"]) == ("answer", before["article"])
    stale = web.post("/api/insights/proposal/apply?lang=en", headers=pat, json={"version": 2})
    assert stale.status_code == 409 and "v3 live now" in stale.json()["detail"]
