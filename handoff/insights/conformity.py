"""Conformity of the bot's answers as reviewed: the share judged correct, with its Wilson score interval."""
from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.96


@dataclass(frozen=True)
class Interval:
    estimate: float | None  # None when nothing was reviewed
    low: float
    high: float
    reviewed: int


def wilson(correct: int, reviewed: int, z: float = Z_95) -> Interval:
    """Wilson score interval for `correct` successes out of `reviewed` (95 % with z = 1.96). Unlike the normal
    approximation it stays inside [0, 1] and is honest at 0/n and n/n, where samples of answers often sit."""
    if reviewed <= 0:
        return Interval(None, 0.0, 1.0, 0)
    if not 0 <= correct <= reviewed:
        raise ValueError(f"correct must be within 0..{reviewed}, got {correct}")
    p = correct / reviewed
    z2 = z * z
    centre = (p + z2 / (2 * reviewed)) / (1 + z2 / reviewed)
    margin = z * math.sqrt(p * (1 - p) / reviewed + z2 / (4 * reviewed * reviewed)) / (1 + z2 / reviewed)
    return Interval(p, max(0.0, centre - margin), min(1.0, centre + margin), reviewed)
