"""The web app's figures for the day beside the simulation's own, and what differs.

The summary is read once the outbox is drained (pending_events 0) and two readings in a row agree. When
the day already held conversations before the simulation (`baseline`), only what adds up is compared:
the counts, as what the simulation added to them."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ops.simulate_day.clients import Staff

# Counts that add up across runs: compared as differences from the baseline.
ADDITIVE = ("conversations", "conversations_with_messages", "question_turns", "handovers", "abandoned",
            "tickets.opened", "tickets.closed", "csat.count", "helpful.yes", "helpful.no", "conformity.reviewed",
            "conformity.by_lang.en.reviewed", "conformity.by_lang.fr.reviewed")
TOLERANCE = 1e-9  # the same fractions, divided in two programs
SHOWN_ONLY = ("queue_wait_s.median", "queue_wait_s.p90", "first_response_s.median", "handling_s.median", "pending_events")


def flat(figures: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} -> {"a.b": 1}; the articles' list keyed by article."""
    out: dict[str, Any] = {}
    for key, value in figures.items():
        name = f"{prefix}{key}"
        if key == "articles" and isinstance(value, list):
            value = {row["article"]: {k: v for k, v in row.items() if k != "article"} for row in value}
        if isinstance(value, dict):
            out.update(flat(value, f"{name}."))
        else:
            out[name] = value
    return out


def read_summary(staff: Staff, first_day: str, last_day: str, settle_s: float = 120,
                 progress: Callable[[str], None] = print) -> dict[str, Any]:
    """The summary once every event is written (two equal readings with nothing pending)."""
    deadline = time.monotonic() + settle_s
    previous: dict[str, Any] | None = None
    while True:
        current = staff.summary(first_day, last_day)
        if current.get("pending_events", 0) == 0 and current == previous:
            return current
        if time.monotonic() > deadline:
            progress(f"the summary did not settle within {settle_s:.0f} s (pending_events {current.get('pending_events')})")
            return current
        previous = current
        time.sleep(1.0)


def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, float) and isinstance(got, (int, float)):
        return abs(expected - got) <= TOLERANCE
    return expected == got


def compare(expected: dict[str, Any], summary: dict[str, Any], baseline: dict[str, Any] | None) -> tuple[list[tuple[str, Any, Any]], list[str]]:
    """Rows (figure, expected, got) and the mismatches. With a baseline, the additive counts only."""
    want, got = flat(expected), flat(summary)
    if baseline is not None:
        before = flat(baseline)
        names = [name for name in ADDITIVE if name in want]
        got = {name: (got.get(name) or 0) - (before.get(name) or 0) for name in names}
    else:
        names = sorted(set(want) | {n for n in got if n.startswith(("escalations.", "articles."))})
    rows = [(name, want.get(name, 0 if name.startswith("escalations.") else None), got.get(name)) for name in names]
    mismatches = [f"{name}: expected {w!r}, got {g!r}" for name, w, g in rows if not _same(w, g)]
    return rows, mismatches


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "—" if value is None else str(value)


def table(rows: list[tuple[str, Any, Any]], summary: dict[str, Any]) -> str:
    width = max([len(name) for name, _, _ in rows] + [len(name) for name in SHOWN_ONLY])
    lines = [f"{'figure':<{width}}  {'simulation':>12}  {'web app':>12}", "-" * (width + 28)]
    for name, want, got in rows:
        mark = "" if _same(want, got) else "   <-- MISMATCH"
        lines.append(f"{name:<{width}}  {_shown(want):>12}  {_shown(got):>12}{mark}")
    got = flat(summary)
    lines.append(f"{'(shown, not compared)':<{width}}")
    lines += [f"{name:<{width}}  {'':>12}  {_shown(got.get(name)):>12}" for name in SHOWN_ONLY]
    return "\n".join(lines)
