"""What every benchmark phase shares: latency samples, a budget of time and turns, a human pace,
and the search for the throughput at saturation."""
from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm


def progress_bar(description: str, unit: str) -> tqdm:
    """Turns done, elapsed time and rate; no total, since time bounds a phase as much as its count."""
    return tqdm(desc=description, unit=unit, dynamic_ncols=True, mininterval=1.0)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile; NaN when there is no sample."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


@dataclass
class Samples:
    """Latencies (ms) of one phase, by outcome, and its errors."""

    name: str
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.perf_counter)
    ended: float | None = None
    progress: tqdm | None = None

    def record(self, latency_ms: float, outcome: str = "ok") -> None:
        self.latencies_ms.setdefault(outcome, []).append(latency_ms)
        if self.progress is not None:
            self.progress.update()

    def error(self, what: str) -> None:
        self.errors[what] += 1
        if self.progress is not None:
            self.progress.set_postfix(errors=sum(self.errors.values()), refresh=False)

    def finish(self) -> None:
        self.ended = time.perf_counter()
        if self.progress is not None:
            self.progress.close()

    def all_latencies(self) -> list[float]:
        return [value for values in self.latencies_ms.values() for value in values]

    @property
    def turns(self) -> int:
        return len(self.all_latencies())

    @property
    def seconds(self) -> float:
        return (self.ended or time.perf_counter()) - self.started

    def summary(self, outcome: str | None = None) -> dict[str, Any]:
        values = self.all_latencies() if outcome is None else self.latencies_ms.get(outcome, [])
        return {
            "turns": len(values), "errors": sum(self.errors.values()), "error_kinds": dict(self.errors),
            "seconds": round(self.seconds, 1), "turns_per_s": round(self.turns / self.seconds, 2) if self.seconds else 0.0,
            "p50_ms": percentile(values, 0.50), "p95_ms": percentile(values, 0.95), "p99_ms": percentile(values, 0.99),
            "max_ms": max(values) if values else float("nan"),
            "outcomes": {name: len(v) for name, v in self.latencies_ms.items()},
        }


@dataclass
class Budget:
    """A phase stops at its deadline or once it has started `max_turns` turns, whichever comes first."""

    seconds: float
    max_turns: int
    started: float = field(default_factory=time.monotonic)
    taken: int = 0

    def take(self) -> bool:
        if self.done():
            return False
        self.taken += 1
        return True

    def done(self) -> bool:
        return self.taken >= self.max_turns or time.monotonic() - self.started >= self.seconds

    def left_s(self) -> float:
        return max(0.0, self.seconds - (time.monotonic() - self.started))


@dataclass(frozen=True)
class Pace:
    """How a person chats: a pause (mean seconds, jittered by ±`jitter`) before each message and a
    few messages per conversation. A pause of 0 is a closed loop (saturation)."""

    pause_s: float
    min_turns: int = 2
    max_turns: int = 5
    jitter: float = 0.5

    def pause(self, rng: random.Random) -> float:
        return self.pause_s * rng.uniform(1 - self.jitter, 1 + self.jitter)

    def conversation_length(self, rng: random.Random) -> int:
        return rng.randint(self.min_turns, self.max_turns)

    def closed_loop(self) -> Pace:
        return Pace(0.0, self.min_turns, self.max_turns, 0.0)


@dataclass
class Saturation:
    """Throughput at each concurrency tried; the best is the saturation throughput."""

    levels: list[dict[str, Any]] = field(default_factory=list)

    @property
    def best(self) -> dict[str, Any]:
        return max(self.levels, key=lambda level: level["turns_per_s"]) if self.levels else {}

    def summary(self) -> dict[str, Any]:
        best = self.best
        return {"turns_per_s": best.get("turns_per_s", 0.0), "at_concurrency": best.get("concurrency"),
                "errors": sum(level["errors"] for level in self.levels), "levels": self.levels}


async def saturate(name: str, run_level: Callable[[int], Awaitable[Samples]], max_concurrency: int,
                   min_gain: float = 0.05, patience: int = 2) -> Saturation:
    """Closed-loop load at concurrency 1, 2, 4, ... until throughput has not grown by `min_gain`
    over the best for `patience` levels in a row (or errors appear, or `max_concurrency` is reached)."""
    result = Saturation()
    concurrency, flat = 1, 0
    while concurrency <= max_concurrency:
        samples = await run_level(concurrency)
        level = {"concurrency": concurrency, "turns": samples.turns, "errors": sum(samples.errors.values()),
                 "turns_per_s": round(samples.turns / samples.seconds, 2) if samples.seconds else 0.0,
                 "p50_ms": percentile(samples.all_latencies(), 0.5), "p95_ms": percentile(samples.all_latencies(), 0.95)}
        previous_best = result.best.get("turns_per_s", 0.0)
        result.levels.append(level)
        tqdm.write(f"  {name}: concurrency {concurrency:>3} -> {level['turns_per_s']:6.1f} turns/s, "
                   f"p50 {level['p50_ms']:.0f} ms, p95 {level['p95_ms']:.0f} ms, errors {level['errors']}")
        flat = flat + 1 if level["turns_per_s"] < previous_best * (1 + min_gain) else 0
        if level["errors"] or flat >= patience:
            break
        concurrency *= 2
    return result
