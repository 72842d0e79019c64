"""`make bench-streams`: customers chatting at a human pace while thousands of other customers keep
their widget's live stream open (issue 13: open widgets are normal traffic, not a denial of service).

    .venv-app/bin/python -m ops.bench_streams [--streams 1000] [--customers 50] [--duration 60] [--pause 5]

On a fresh stack (as `make bench`), or a running one with --web. After a warm-up: STREAMS customers
open their live stream (each its own conversation); CUSTOMERS customers ask answerable help-centre
questions for --duration; the streams close; the same customers ask again without them. The run with
the streams comes first, so the caches the second run finds warm favour the run without: the
comparison is, if anything, unfair to the streams. Prints errors, answered-question p50/p95 of
both runs and their ratio (target: 0 errors, p95 with the streams within 1.5x), writes --out as JSON."""
from __future__ import annotations

import argparse
import asyncio
import math
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import aconnect_sse
from tqdm import tqdm

from knowledge.settings import REPO_ROOT
from ops.bench import load_average, warm_up, write_result
from ops.bench_customers import answerable_questions, is_knowledge_reply, run_customers
from ops.bench_load import Budget, Pace
from ops.bench_stack import BenchStack, bench_stack, peak_memory_mb

TARGET_P95_RATIO = 1.5
OPENING_AT_ONCE = 50  # streams being opened concurrently


class IdleWidgets:
    """Customers who opened the widget and wait: one live stream each, read in the background."""

    def __init__(self, web: str) -> None:
        self.http = httpx.AsyncClient(base_url=web, timeout=60,
                                      limits=httpx.Limits(max_connections=None, max_keepalive_connections=OPENING_AT_ONCE))
        self.live = 0
        self.errors: Counter[str] = Counter()  # refused or dropped streams, by cause
        self._tasks: list[asyncio.Task[None]] = []

    async def open(self, count: int) -> None:
        gate = asyncio.Semaphore(OPENING_AT_ONCE)
        progress = tqdm(total=count, desc="opening live streams", unit="stream", dynamic_ncols=True)

        async def one() -> None:
            async with gate:
                opened = asyncio.get_running_loop().create_future()
                self._tasks.append(asyncio.create_task(self._hold(opened)))
                await opened
                progress.update()

        await asyncio.gather(*(one() for _ in range(count)))
        progress.close()

    async def _hold(self, opened: asyncio.Future[None]) -> None:
        try:
            created = await self.http.post("/api/conversations")
            created.raise_for_status()
            path = f"/api/conversations/{created.json()['conversation_id']}/events"
            async with aconnect_sse(self.http, "GET", path, timeout=httpx.Timeout(60, read=None)) as source:
                if source.response.status_code != 200:
                    self.errors[f"stream refused: HTTP {source.response.status_code}"] += 1
                    return
                async for event in source.aiter_sse():
                    if event.event == "status" and not opened.done():
                        self.live += 1
                        opened.set_result(None)
            self.errors["stream ended"] += 1
        except httpx.HTTPError as error:
            self.errors[f"stream: {type(error).__name__}"] += 1
        finally:
            if not opened.done():
                opened.set_result(None)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.http.aclose()


async def customers_phase(stack: BenchStack, name: str, args: argparse.Namespace) -> dict[str, Any]:
    tqdm.write(f"\n== {name}: {args.customers} customers at a human pace (pause {args.pause:g} s), load {load_average()}")
    samples = await run_customers(stack.web, name, answerable_questions(args.dev_file), is_knowledge_reply,
                                  args.customers, Pace(args.pause), Budget(args.duration, args.max_turns), args.seed)
    return {"all": samples.summary(), "answered": samples.summary("answer"), "load_average_after": load_average()}


async def run(stack: BenchStack, args: argparse.Namespace) -> dict[str, Any]:
    await warm_up(stack, answerable_questions(args.dev_file))
    widgets = IdleWidgets(stack.web)
    try:
        started = time.perf_counter()
        await widgets.open(args.streams)
        opening_s = round(time.perf_counter() - started, 1)
        tqdm.write(f"{widgets.live} live streams open in {opening_s} s; refused or dropped: {dict(widgets.errors)}")
        with_streams = await customers_phase(stack, f"with {args.streams} open streams", args)
        streams = {"asked": args.streams, "live": widgets.live, "opening_s": opening_s,
                   "errors": dict(widgets.errors), "still_open_after": widgets.live - sum(widgets.errors.values())}
    finally:
        await widgets.close()
    without_streams = await customers_phase(stack, "without the streams", args)
    return {"streams": streams, "with_streams": with_streams, "without_streams": without_streams}


def _ms(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.0f}"


def report(result: dict[str, Any]) -> str:
    lines = ["| run | answered | p50 ms | p95 ms | errors |", "|---|---|---|---|---|"]
    for key, label in (("with_streams", f"with {result['streams']['asked']} open streams"),
                       ("without_streams", "without the streams")):
        answered, every = result[key]["answered"], result[key]["all"]
        lines.append(f"| {label} | {answered['turns']} | {_ms(answered['p50_ms'])} | {_ms(answered['p95_ms'])} | "
                     f"{every['errors']} {every['error_kinds'] or ''} |")
    streams = result["streams"]
    lines.append(f"live streams: {streams['live']} of {streams['asked']} opened in {streams['opening_s']} s; "
                 f"refused or dropped: {streams['errors'] or 0}")
    with_p95 = result["with_streams"]["answered"]["p95_ms"]
    without_p95 = result["without_streams"]["answered"]["p95_ms"]
    ratio = with_p95 / without_p95 if without_p95 and not math.isnan(with_p95) and not math.isnan(without_p95) else None
    errors = sum(result[key]["all"]["errors"] for key in ("with_streams", "without_streams")) + sum(streams["errors"].values())
    met = ratio is not None and ratio <= TARGET_P95_RATIO and errors == 0 and streams["live"] == streams["asked"]
    lines.append(f"{'met    ' if met else 'NOT MET'}  0 errors and answered p95 with the streams <= {TARGET_P95_RATIO} x "
                 f"without: {errors} errors, {ratio and round(ratio, 2)} x")
    if result.get("peak_memory_mb"):
        lines.append("peak memory (VmHWM): " + ", ".join(f"{name} {mb:.0f} MB" for name, mb in result["peak_memory_mb"].items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--web", help="drive a running web app instead of starting a stack (its per-address stream cap must allow --streams)")
    parser.add_argument("--streams", type=int, default=1000, help="customer live streams held open")
    parser.add_argument("--customers", type=int, default=50, help="customers chatting at a human pace")
    parser.add_argument("--duration", type=float, default=60, help="seconds of each run")
    parser.add_argument("--pause", type=float, default=5.0, help="mean seconds a customer waits before a message (±50 %%)")
    parser.add_argument("--max-turns", type=int, default=5000)
    parser.add_argument("--dev-file", type=Path, default=REPO_ROOT / "knowledge" / "sample_dev.jsonl")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "var" / "bench" / "bench-streams.json")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.streams < 0 or args.customers < 1 or args.duration <= 0:
        parser.error("--streams >= 0, --customers >= 1, --duration > 0")
    # Every stream comes from this one address: the web app started here lets them all in.
    extra_env = {"LIVE_STREAMS_PER_ADDRESS": str(args.streams + 100)}
    with bench_stack(args.web, None, extra_env) as stack:
        result = asyncio.run(run(stack, args))
        result["peak_memory_mb"] = peak_memory_mb(stack.pids())
    result["options"] = {"streams": args.streams, "customers": args.customers, "duration_s": args.duration,
                         "pause_s": args.pause, "stack": "given" if args.web else "fresh"}
    write_result(args.out, result, report(result))


if __name__ == "__main__":
    main()
