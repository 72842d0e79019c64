"""Events from the Redis outbox to the SQL store (SQLite and PostgreSQL): written once however often the
outbox is drained, kept in Redis while the store is down, and counted while they wait."""
from __future__ import annotations

from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import Engine, select

from handoff.insights.events import EventKind, EventRecorder
from handoff.insights.store import events, make_engine, ready, row_of, write_events
from handoff.insights.writer import OutboxWriter, lost_events, waiting_events
from knowledge import redis_keys as keys
from tests.handoff.insights.conftest import CLOSED_POSTGRES_URL

pytestmark = pytest.mark.anyio


def stored(engine: Engine) -> list[dict]:
    with ready(engine).connect() as connection:
        return [dict(row._mapping) for row in connection.execute(select(events).order_by(events.c.event_id))]


async def record_a_few(redis: Redis, count: int = 3) -> list[str]:
    recorder = EventRecorder(redis)
    ids = [await recorder.record(EventKind.CONVERSATION_STARTED, "c1")]
    ids.append(await recorder.record(EventKind.BOT_REPLY, "c1", "fr", outcome="answer", article="a/b",
                                     confidence=0.8125, question="Où est ma facture ?", answer="Ici."))
    ids += [await recorder.record(EventKind.FEEDBACK, "c1", "fr", message_id="1-0", helpful=False)
            for _ in range(count - 2)]
    assert all(ids)
    return ids


async def test_events_are_written_with_their_fields_and_leave_the_outbox(redis_client: Redis, engine: Engine) -> None:
    ids = await record_a_few(redis_client)
    assert await waiting_events(redis_client) == 3
    assert await OutboxWriter(redis_client, engine).write_all() == 3
    rows = stored(engine)
    assert [row["event_id"] for row in rows] == ids
    reply = rows[1]
    assert (reply["kind"], reply["lang"], reply["outcome"], reply["article"], reply["confidence"], reply["question"],
            reply["channel"]) == ("bot_reply", "fr", "answer", "a/b", 0.8125, "Où est ma facture ?", "widget")
    assert rows[2]["helpful"] is False and rows[0]["lang"] is None
    assert reply["day"] == reply["at"].date()
    assert await waiting_events(redis_client) == 0


async def test_writing_the_same_events_again_keeps_one_row_each(redis_client: Redis, engine: Engine) -> None:
    await record_a_few(redis_client)
    entries = await redis_client.xrange(keys.INSIGHTS_EVENTS)
    await OutboxWriter(redis_client, engine).write_all()
    # A writer that died after its commit and before its XACK: the same entries are written again.
    write_events(engine, [row_of(entry_id, fields) for entry_id, fields in entries])
    assert [row["event_id"] for row in stored(engine)] == [entry_id for entry_id, _ in entries]


async def test_a_dead_writers_unacknowledged_events_are_taken_over(redis_client: Redis, engine: Engine) -> None:
    await record_a_few(redis_client)
    dead = OutboxWriter(redis_client, engine, consumer="dead")
    await dead.ensure_group()
    # "dead" read the events and never wrote them.
    await redis_client.xreadgroup(keys.INSIGHTS_WRITERS, "dead", {keys.INSIGHTS_EVENTS: ">"}, count=10)
    assert await OutboxWriter(redis_client, engine, consumer="alive", claim_idle_ms=0).write_all() == 3
    assert len(stored(engine)) == 3
    assert await waiting_events(redis_client) == 0


async def test_with_the_store_down_events_wait_in_redis_and_are_written_when_it_returns(
        redis_client: Redis, database_url: str, tmp_path: Path) -> None:
    down_url = CLOSED_POSTGRES_URL if database_url.startswith("postgresql") else f"sqlite:///{tmp_path}/no/such/dir/x.db"
    down = make_engine(down_url)
    await record_a_few(redis_client)
    writer = OutboxWriter(redis_client, down, consumer="w1")
    with pytest.raises(Exception):
        await writer.write_once()
    await record_a_few(redis_client, count=4)  # recording goes on meanwhile
    assert await waiting_events(redis_client) == 7
    back = make_engine(database_url)
    writer.engine = back  # the same writer, the store back: its own unacknowledged events first
    assert await writer.write_all() == 7
    assert len(stored(back)) == 7
    assert await waiting_events(redis_client) == 0
    assert await lost_events(redis_client) == 0
    back.dispose()


async def test_a_full_outbox_refuses_new_events_and_counts_them_lost(redis_client: Redis) -> None:
    recorder = EventRecorder(redis_client, bound=2)
    assert await recorder.record(EventKind.RATING, "c1", rating=5)
    assert await recorder.record(EventKind.RATING, "c1", rating=4)
    assert await recorder.record(EventKind.RATING, "c1", rating=3) is None
    assert (await waiting_events(redis_client), await lost_events(redis_client)) == (2, 1)


async def test_recording_with_redis_down_returns_none_instead_of_raising() -> None:
    from handoff.connection import connect
    from handoff.insights import metrics

    unreachable = connect("redis://127.0.0.1:9/0")
    before = metrics.RECORD_FAILURES._value.get()
    assert await EventRecorder(unreachable).record(EventKind.CONVERSATION_STARTED, "c1") is None
    assert metrics.RECORD_FAILURES._value.get() == before + 1
    await unreachable.aclose()
