"""'Live' means the bot answers from it: a watched KnowledgeService loads a published version without
waiting for a question, and reports the version it answers from in Redis (real Chroma, real Redis)."""
from __future__ import annotations

import json
import time

import redis

from knowledge.answering.service import KnowledgeService
from knowledge.answering.serving import BotState, bot_state, fresh_reports, watch, write_report
from knowledge.index.versions import read_head
from knowledge.publishing.publish import publish
from knowledge.redis_keys import answering
from knowledge.settings import KnowledgeSettings
from tests.knowledge.helpers import GIFT_CARDS_ID, GIFT_CARDS_MD, PublishedKb

READY_WITHIN_S = 120  # a bound for a loaded 2-core machine; the time taken is printed


def _state(client: redis.Redis, kb: PublishedKb) -> BotState:
    head = read_head(kb.client, kb.settings.collection_name)
    return bot_state(fresh_reports(client, kb.settings.collection_name), head.kb_version if head else None)


def _wait_ready(client: redis.Redis, kb: PublishedKb) -> float:
    started = time.monotonic()
    while _state(client, kb) is not BotState.READY:
        assert time.monotonic() - started < READY_WITHIN_S, _state(client, kb)
        time.sleep(0.1)
    return time.monotonic() - started


def test_the_first_question_after_ready_is_answered_from_the_new_version(small_kb: PublishedKb, redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    assert _state(client, small_kb) is BotState.UNKNOWN  # no action server reported
    # Thresholds kept (as a small change would): the test is about loading, not calibrating.
    settings = KnowledgeSettings(chroma_path=small_kb.chroma, recalibrate_share=1.0)
    service = KnowledgeService(settings, small_kb.client)
    with watch(service, client, every_s=0.2) as watcher:
        _wait_ready(client, small_kb)
        (small_kb.folder / "gift-cards.md").write_text(GIFT_CARDS_MD, encoding="utf-8")
        assert publish([small_kb.folder / "gift-cards.md"], author="erin", settings=settings, client=small_kb.client).published
        assert _state(client, small_kb) is BotState.LOADING  # reported v1 moments ago; v2 is live in Chroma
        print(f"\nthe bot answered from v2 {_wait_ready(client, small_kb):.1f} s after the publish returned")
        # No question in between: the watcher loaded it, so the reply path needs no second try.
        decision = service.decide("can I pay with a gift card", "en")
        assert (decision.outcome.value, decision.article) == ("answer", GIFT_CARDS_ID)
    assert not watcher.thread.is_alive()  # stopped: nothing runs into the next tests or the exit


def test_reports_of_stopped_processes_and_garbage_do_not_count(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    write_report(client, "kb", "v-new", tag="actions-1")
    client.hset(answering("kb"), "actions-2", json.dumps({"kb_version": "v-old", "at_ms": 0}))  # stopped long ago
    client.hset(answering("kb"), "actions-3", "not json")
    assert bot_state(fresh_reports(client, "kb"), "v-new") is BotState.READY
    write_report(client, "kb", "v-old", tag="actions-4")
    assert bot_state(fresh_reports(client, "kb"), "v-new") is BotState.LOADING
    assert bot_state(fresh_reports(client, "other"), "v-new") is BotState.UNKNOWN
