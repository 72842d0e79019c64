"""An answer threshold recalibrated from the reviewed answers: the lowest confidence threshold at which the
reviewed answers it keeps reach the target conformity, and the answer rate it would have given.

Read-only: the answer thresholds are fitted per language inside the action server's engine
(knowledge/answering/fitting.py, calibration.py) and are not part of a knowledge-base version, so applying a
proposal as a new version needs the publishing pipeline to carry thresholds first (not done here)."""
from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Engine

from handoff.insights.conformity import wilson
from handoff.insights.events import EventKind
from handoff.insights.figures import Period, question_turns, rate
from handoff.insights.review import Verdict, reviewed_answers

Basis = Literal["estimate", "wilson_low"]


def _conformity(marked: list[tuple[dict[str, Any], str]], basis: Basis) -> float | None:
    interval = wilson(sum(verdict == Verdict.CORRECT.value for _, verdict in marked), len(marked))
    if interval.estimate is None:
        return None
    return interval.estimate if basis == "estimate" else interval.low


def lowest_threshold(marked: list[tuple[float, bool]], target: float, basis: Basis = "estimate") -> float | None:
    """The lowest threshold among the reviewed confidences whose kept answers (confidence >= it) reach
    `target` by `basis` (their share correct, or the Wilson interval's low); None when none does."""
    for threshold in sorted({confidence for confidence, _ in marked}):
        kept = [correct for confidence, correct in marked if confidence >= threshold]
        interval = wilson(sum(kept), len(kept))
        reached = interval.estimate if basis == "estimate" else interval.low
        if reached is not None and reached >= target:
            return threshold
    return None


def proposal(engine: Engine, period: Period, target: float, basis: Basis = "estimate") -> dict[str, Any]:
    """current_threshold is the lowest confidence the bot answered at in the period (the thresholds in
    force are the action server's, fitted per language); rates on the period's question turns."""
    marked = [(a, verdict) for a, verdict in reviewed_answers(engine, period) if a["confidence"] is not None]
    proposed = lowest_threshold([(a["confidence"], verdict == Verdict.CORRECT.value) for a, verdict in marked],
                                target, basis)
    answers = [e for e in period.of(EventKind.BOT_REPLY) if e["outcome"] == "answer" and e["confidence"] is not None]
    turns = len(question_turns(period))
    kept = [m for m in marked if proposed is not None and m[0]["confidence"] >= proposed]
    return {
        "current_threshold": min((a["confidence"] for a in answers), default=None),
        "proposed_threshold": proposed,
        "reviewed": len(marked),
        "target": target,
        "conformity_now": _conformity(marked, basis),
        "conformity_proposed": _conformity(kept, basis) if proposed is not None else None,
        "answer_rate_now": rate(len([e for e in period.of(EventKind.BOT_REPLY) if e["outcome"] == "answer"]), turns),
        "answer_rate_proposed": rate(sum(a["confidence"] >= proposed for a in answers), turns)
        if proposed is not None else None,
        "basis": f"{basis}: the lowest reviewed confidence whose reviewed answers at or above it reach the target "
                 "by " + ("their share marked correct" if basis == "estimate" else "the Wilson 95 % lower bound")
                 + "; current_threshold = the lowest confidence answered in the period; read-only",
    }
