"""The SQL store of events and reviews (SQLAlchemy 2 Core): SQLite under var/ by default, PostgreSQL (or any
database SQLAlchemy reaches) when DATABASE_URL names it. Writing an event twice keeps one row: its event_id
is its outbox stream id."""
from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (
    Boolean, Column, Date, DateTime, Engine, Float, Integer, MetaData, String, Table, Text, create_engine, event,
    insert, select,
)
from sqlalchemy.dialects import postgresql, sqlite

from knowledge.settings import REPO_ROOT

DEFAULT_DATABASE = REPO_ROOT / "var" / "insights.db"

metadata = MetaData()

events = Table(
    "insights_events", metadata,
    Column("event_id", String(40), primary_key=True),  # the outbox stream id: unique, ordered in time
    Column("at", DateTime(timezone=True), nullable=False),
    Column("day", Date, nullable=False, index=True),  # UTC
    Column("kind", String(32), nullable=False, index=True),
    Column("conversation_id", String(64), nullable=False, index=True),
    Column("lang", String(8)),
    Column("channel", String(32), nullable=False),
    Column("outcome", String(32)),
    Column("reason", String(48)),
    Column("article", String(200)),
    Column("confidence", Float),
    Column("topic", String(100)),
    Column("question", Text),
    Column("answer", Text),
    Column("agent", String(64)),
    Column("used_suggestion", Boolean),
    Column("seconds", Float),
    Column("resolution", String(48)),
    Column("message_id", String(40)),
    Column("helpful", Boolean),
    Column("rating", Integer),
    Column("ticket", String(32)),
    Column("abandoned", Boolean),
)

reviews = Table(
    "insights_reviews", metadata,
    Column("event_id", String(40), primary_key=True),  # the bot_reply event reviewed: once, by one reviewer
    Column("reviewer", String(64), nullable=False),
    Column("verdict", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)

_FLOATS = ("confidence", "seconds")
_BOOLEANS = ("used_suggestion", "helpful", "abandoned")


def database_url(configured: str | None) -> str:
    return configured or f"sqlite:///{DEFAULT_DATABASE}"


_READY: weakref.WeakSet[Engine] = weakref.WeakSet()


def make_engine(configured: str | None = None) -> Engine:
    """An engine for DATABASE_URL (SQLite under var/ when unset). It connects on first use, not here: the web
    app starts with the store down, and its tables are created then (ready)."""
    url = database_url(configured)
    engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5} if "postgresql" in url else {})
    if engine.dialect.name == "sqlite":
        # Readers (the summary) and the writer at once: WAL lets them not block one another.
        @event.listens_for(engine, "connect")
        def _wal(connection: Any, _: Any) -> None:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA busy_timeout=5000")
    return engine


def ready(engine: Engine) -> Engine:
    """The engine, its tables created if missing (checked once per engine that reached its database)."""
    if engine not in _READY:
        if engine.url.database == str(DEFAULT_DATABASE):
            DEFAULT_DATABASE.parent.mkdir(exist_ok=True)
        metadata.create_all(engine)
        _READY.add(engine)
    return engine


def row_of(event_id: str, fields: Mapping[str, str]) -> dict[str, Any]:
    """An outbox entry as a row of `events`."""
    at = datetime.fromtimestamp(int(fields["at"]) / 1000, tz=timezone.utc)
    row: dict[str, Any] = {"event_id": event_id, "at": at, "day": at.date(), "kind": fields["kind"],
                           "conversation_id": fields.get("conversation_id", ""), "lang": fields.get("lang") or None,
                           "channel": fields.get("channel") or "widget"}
    for name in ("outcome", "reason", "article", "topic", "question", "answer", "agent", "resolution",
                 "message_id", "ticket"):
        row[name] = fields.get(name) or None
    for name in _FLOATS:
        row[name] = float(fields[name]) if fields.get(name) not in (None, "", "None") else None
    for name in _BOOLEANS:
        row[name] = fields[name] == "1" if name in fields else None
    row["rating"] = int(fields["rating"]) if fields.get("rating") else None
    return row


def _insert_ignoring_duplicates(engine: Engine, table: Table) -> Any:
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=["event_id"])
    if engine.dialect.name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=["event_id"])
    return insert(table).prefix_with("IGNORE")  # MySQL / MariaDB


def write_events(engine: Engine, rows: Iterable[dict[str, Any]]) -> None:
    """Rows in one transaction; those already written (same event_id) are left as they are."""
    batch = list(rows)
    if not batch:
        return
    with ready(engine).begin() as connection:
        connection.execute(_insert_ignoring_duplicates(engine, events), batch)


def events_between(engine: Engine, first_day: date, last_day: date, kinds: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The events of the days first_day..last_day (inclusive, UTC), in the order they happened."""
    query = select(events).where(events.c.day >= first_day, events.c.day <= last_day)
    if kinds is not None:
        query = query.where(events.c.kind.in_(list(kinds)))
    with ready(engine).connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(query)]
    return sorted(rows, key=lambda row: tuple(int(part) for part in row["event_id"].split("-")))


def reviews_of(engine: Engine, event_ids: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """event_id -> its review."""
    query = select(reviews)
    if event_ids is not None:
        query = query.where(reviews.c.event_id.in_(list(event_ids)))
    with ready(engine).connect() as connection:
        return {row.event_id: dict(row._mapping) for row in connection.execute(query)}


def day_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
