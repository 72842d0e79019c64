"""How the benchmark bounds its phases and finds the throughput at saturation."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from ops.bench_load import Budget, Samples, percentile, saturate


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 0.99)) == (51.0, 95.0, 99.0)


def test_a_budget_stops_at_its_turn_count() -> None:
    budget = Budget(seconds=3600, max_turns=3)
    assert [budget.take() for _ in range(5)] == [True, True, True, False, False]


def test_a_budget_stops_at_its_deadline() -> None:
    budget = Budget(seconds=0, max_turns=100)
    assert not budget.take()


def fixed_rate_level(rates: dict[int, float], errors_at: int | None = None) -> tuple[Callable[[int], Awaitable[Samples]], list[int]]:
    """A level whose throughput is given (turns over 10 s), recording which concurrencies were tried."""
    tried: list[int] = []

    async def level(concurrency: int) -> Samples:
        tried.append(concurrency)
        samples = Samples(f"x{concurrency}")
        for _ in range(int(rates[concurrency] * 10)):
            samples.record(10.0)
        if concurrency == errors_at:
            samples.error("HTTP 503")
        samples.started, samples.ended = 0.0, 10.0
        return samples

    return level, tried


def test_saturation_stops_once_throughput_stops_growing_and_keeps_the_best() -> None:
    level, tried = fixed_rate_level({1: 5, 2: 9, 4: 12, 8: 12.2, 16: 11, 32: 30})
    result = asyncio.run(saturate("test", level, max_concurrency=64))
    assert tried == [1, 2, 4, 8, 16]
    assert (result.best["turns_per_s"], result.best["concurrency"]) == (12.2, 8)


def test_saturation_stops_at_the_first_errors() -> None:
    level, tried = fixed_rate_level({1: 5, 2: 9, 4: 12, 8: 16}, errors_at=2)
    result = asyncio.run(saturate("test", level, max_concurrency=64))
    assert tried == [1, 2]
    assert result.summary()["errors"] == 1
