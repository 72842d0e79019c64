"""An answer threshold recalibrated from the reviewed answers: the lowest confidence threshold at which the
reviewed answers it keeps reach the target conformity, and the answer rate it would have given.

Computed read-only here; the content team applies it as a new knowledge-base version that sets the answer
threshold of the period's language, or of every language (thresholds_to_apply; the version is made by
knowledge/publishing/publish.py: apply_answer_thresholds, and rolled back like any other)."""
from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import Engine

from handoff.insights.conformity import wilson
from handoff.insights.events import EventKind
from handoff.insights.figures import Filters, Period, question_turns, rate
from handoff.insights.review import Verdict, reviewed_answers
from knowledge.index.versions import ANY_LANGUAGE

Basis = Literal["estimate", "wilson_low"]


class NotApplicable(Exception):
    """Why a proposal cannot be applied (the message says it to the content team)."""


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
                 + "; current_threshold = the lowest confidence answered in the period",
    }


def thresholds_to_apply(result: dict[str, Any], filters: Filters, min_reviewed: int) -> dict[str, float]:
    """The answer thresholds a knowledge-base version applying this proposal sets: the period's language's,
    or every language's when the period has none. NotApplicable when there is no proposed threshold, fewer
    than `min_reviewed` reviewed answers, or a channel filter (the thresholds are the same on every channel)."""
    if filters.channel:
        raise NotApplicable("the answer thresholds are the same on every channel: apply a proposal made on all channels")
    if result["reviewed"] < min_reviewed:
        raise NotApplicable(f"{result['reviewed']} reviewed answers in this period: a proposal is applied from "
                            f"{min_reviewed} at least; review more answers or take a longer period")
    if result["proposed_threshold"] is None:
        raise NotApplicable(f"no threshold makes the {result['reviewed']} reviewed answers reach the target "
                            f"conformity ({result['target']:.0%}): there is no proposal to apply")
    return {filters.lang or ANY_LANGUAGE: float(result["proposed_threshold"])}
