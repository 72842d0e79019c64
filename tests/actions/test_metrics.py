"""/metrics on the action server: behind ACTIONS_TOKEN like its other paths, and timing each answer decision."""
from __future__ import annotations

import re

import httpx
import pytest

from actions.answering import ActionAnswerQuestion
from knowledge.answering.service import KnowledgeService
from tests.actions.test_suggestions import serving
from tests.actions.trackers import run, tracker

pytestmark = pytest.mark.anyio


def decisions(text: str) -> float:
    found = re.search(r"^chat_decision_seconds_count (\S+)$", text, re.MULTILINE)
    assert found, text[:500]
    return float(found.group(1))


async def test_metrics_count_the_answer_decisions(sample_service: KnowledgeService, answer: ActionAnswerQuestion) -> None:
    async with serving(sample_service, token="actions-secret") as url, httpx.AsyncClient() as http:
        assert (await http.get(f"{url}/metrics")).status_code == 401
        before = await http.get(f"{url}/metrics", params={"token": "actions-secret"})
        assert before.status_code == 200 and before.headers["content-type"].startswith("text/plain")
        await run(answer, tracker("where is my parcel? I want to track my order"))
        await run(answer, tracker("how do I reset my password?"))
        after = await http.get(f"{url}/metrics", params={"token": "actions-secret"})
        assert decisions(after.text) - decisions(before.text) == 2
