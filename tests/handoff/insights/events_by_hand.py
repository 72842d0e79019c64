"""Hand-made event sequences, written straight to the SQL store, for figures whose values are known."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any

from sqlalchemy import Engine

from handoff.insights.events import EventKind, event_fields
from handoff.insights.store import row_of, write_events


class Events:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, day: date, kind: EventKind, conversation_id: str, lang: str | None = None, **fields: Any) -> str:
        """An event on `day`, later than every event added before (stream ids in order)."""
        at_ms = int(datetime.combine(day, time(12), tzinfo=timezone.utc).timestamp() * 1000) + len(self.rows)
        event_id = f"{at_ms}-0"
        self.rows.append(row_of(event_id, event_fields(kind, conversation_id, lang, at_ms=at_ms, **fields)))
        return event_id

    def write(self, engine: Engine) -> None:
        write_events(engine, self.rows)
