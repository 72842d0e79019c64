"""`make bench`: the real stack (web app, Rasa, action server, Redis, Chroma) under simulated customers
and agents on loopback, over the widget's own path.

    .venv-app/bin/python -m ops.bench [--customers 50] [--duration 60] [--pause 3] [--web URL --redis-url URL]

Phases, each bounded by --duration and --max-turns:
  floor      a bare turn of our Rasa model ("are you a bot?": intent bot_challenge, small talk from the answering
             action) at a human pace, then closed-loop at rising concurrency until throughput stops growing;
  questions  answerable help-centre questions (knowledge/sample_dev.jsonl) the same two ways; latency from the
             customer's POST to the bot's replies in its response (widget.js reads them there);
  relay      agent -> customer messages (agent POST to the customer's live stream), the same two ways.
Prints one table (latency percentiles, throughput at saturation, errors, ratios to the floor, targets,
peak memory of each process) and writes it to --out as JSON."""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from knowledge.settings import REPO_ROOT
from ops.bench_customers import (Message, RasaRestChannel, ReplyCheck, answerable_questions, bare_turns,
                                 is_bare_reply, is_knowledge_reply, run_customers)
from ops.bench_load import Budget, Pace, Samples, Saturation, saturate
from ops.bench_relay import open_conversations, relay_at_pace, relay_saturation, stream_drops
from ops.bench_stack import BenchStack, bench_stack, peak_memory_mb
from ops.profiling.sampling import profile_during

PHASES = ("floor", "questions", "relay")
# Targets of issue 4.
TARGET_CUSTOMERS = 50
TARGET_P95_TO_FLOOR = 1.5
TARGET_THROUGHPUT_TO_FLOOR = 0.8
TARGET_RELAY_P95_MS = 50.0
# Few, so that the warm-up does not fill the action server's embedding cache with the questions measured.
WARM_UP_TURNS = 10


@dataclass(frozen=True)
class BenchOptions:
    customers: int
    duration_s: float
    max_turns: int
    pace: Pace
    saturation_s: float
    max_concurrency: int
    relay_conversations: int
    relay_pause_s: float
    dev_file: Path
    phases: tuple[str, ...]
    seed: int
    profile_s: float = 0.0  # > 0: py-spy samples Rasa and the action server this long into each saturation
    profile_dir: Path = REPO_ROOT / "var" / "bench" / "profiles"


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


async def bot_phase(stack: BenchStack, name: str, messages: list[Message], check: ReplyCheck,
                    options: BenchOptions, direct_to_rasa: bool = False) -> dict[str, Any]:
    tqdm.write(f"\n== {name}: {options.customers} customers at a human pace (pause {options.pace.pause_s:g} s ±50 %, "
               f"{options.pace.min_turns}-{options.pace.max_turns} messages a conversation), load {load_average()}")
    at_pace = await run_customers(stack.web, f"{name} at pace", messages, check, options.customers, options.pace,
                                  Budget(options.duration_s, options.max_turns), options.seed)
    tqdm.write(f"== {name}: saturation (closed loop, {options.saturation_s:g} s a level), load {load_average()}")

    async def level(concurrency: int) -> Samples:
        return await run_customers(stack.web, f"{name} x{concurrency}", messages, check, concurrency,
                                   options.pace.closed_loop(), Budget(options.saturation_s, options.max_turns),
                                   options.seed, show_progress=False)

    profiled = {key: stack.pids()[key] for key in ("rasa", "actions") if key in stack.pids()} if options.profile_s else {}
    async with profile_during(profiled, options.profile_s, options.profile_dir / name.replace(" ", "-")) as profiles:
        saturation: Saturation = await saturate(f"{name} saturation", level, options.max_concurrency)
    result = {"at_pace": at_pace.summary(), "answered": at_pace.summary("answer"), "saturation": saturation.summary(),
              "load_average_after": load_average()}
    if profiles:
        result["profiles"] = profiles
    if direct_to_rasa and stack.rasa:
        tqdm.write(f"== {name}: Rasa's REST channel directly (no web app), saturation, load {load_average()}")

        async def rasa_level(concurrency: int) -> Samples:
            return await run_customers(stack.rasa or "", f"{name} Rasa x{concurrency}", messages, check, concurrency,
                                       options.pace.closed_loop(), Budget(options.saturation_s, options.max_turns),
                                       options.seed, show_progress=False, channel=RasaRestChannel())

        result["rasa_direct"] = (await saturate(f"{name} Rasa REST saturation", rasa_level, options.max_concurrency)).summary()
    return result


async def relay_phase(stack: BenchStack, options: BenchOptions) -> dict[str, Any]:
    count = max(options.relay_conversations, 1)
    tqdm.write(f"\n== relay: {count} conversations with an agent each, pause {options.relay_pause_s:g} s ±50 %, "
               f"load {load_average()}")
    conversations = await open_conversations(stack.web, stack.redis_url, count)
    try:
        at_pace = await relay_at_pace(conversations, Pace(options.relay_pause_s), Budget(options.duration_s, options.max_turns))
        tqdm.write(f"== relay: saturation (closed loop, {options.saturation_s:g} s a level), load {load_average()}")
        saturation = await relay_saturation(conversations, options.saturation_s, options.max_turns)
    finally:
        await asyncio.gather(*(conversation.close() for conversation in conversations))
    return {"at_pace": at_pace.summary(), "saturation": saturation.summary(), "load_average_after": load_average(),
            "stream_drops": stream_drops(conversations)}


async def warm_up(stack: BenchStack, questions: list[Message]) -> None:
    """Every process has served both kinds of turn once before anything is measured."""
    tqdm.write("warming up")
    for messages, check in ((bare_turns(), is_bare_reply), (questions, is_knowledge_reply)):
        samples = await run_customers(stack.web, "warm-up", messages, check, 2, Pace(0.0, 1, 1),
                                      Budget(120, WARM_UP_TURNS), show_progress=False)
        if samples.errors:
            tqdm.write(f"warm-up errors: {dict(samples.errors)}")


async def run(stack: BenchStack, options: BenchOptions) -> dict[str, Any]:
    questions = answerable_questions(options.dev_file)
    await warm_up(stack, questions)
    result: dict[str, Any] = {"started_load_average": load_average()}
    if "floor" in options.phases:
        result["floor"] = await bot_phase(stack, "bare turn", bare_turns(), is_bare_reply, options, direct_to_rasa=True)
    if "questions" in options.phases:
        result["questions"] = await bot_phase(stack, "question", questions, is_knowledge_reply, options)
    if "relay" in options.phases:
        result["relay"] = await relay_phase(stack, options)
    return result


def _ratio(value: float | None, floor: float | None) -> float | None:
    if value is None or floor is None or not floor or math.isnan(value) or math.isnan(floor):
        return None
    return round(value / floor, 2)


def verdicts(result: dict[str, Any], customers: int) -> list[dict[str, Any]]:
    floor, questions, relay = result.get("floor"), result.get("questions"), result.get("relay")
    checks: list[dict[str, Any]] = []
    if questions:
        errors = questions["at_pace"]["errors"] + (floor["at_pace"]["errors"] if floor else 0)
        checks.append({"target": f"{TARGET_CUSTOMERS} concurrent conversations at a human pace, zero errors",
                       "measured": f"{customers} customers, {errors} errors",
                       "met": customers >= TARGET_CUSTOMERS and errors == 0})
    if floor and questions:
        p95 = _ratio(questions["answered"]["p95_ms"], floor["at_pace"]["p95_ms"])
        checks.append({"target": f"answered-question p95 <= {TARGET_P95_TO_FLOOR} x bare-turn p95",
                       "measured": f"{p95} x", "met": p95 is not None and p95 <= TARGET_P95_TO_FLOOR})
        throughput = _ratio(questions["saturation"]["turns_per_s"], floor["saturation"]["turns_per_s"])
        checks.append({"target": f"question throughput at saturation >= {TARGET_THROUGHPUT_TO_FLOOR} x bare-turn throughput",
                       "measured": f"{throughput} x",
                       "met": throughput is not None and throughput >= TARGET_THROUGHPUT_TO_FLOOR})
    if relay:
        p95 = relay["at_pace"]["p95_ms"]
        checks.append({"target": f"relay p95 <= {TARGET_RELAY_P95_MS:g} ms", "measured": f"{p95:.1f} ms",
                       "met": not math.isnan(p95) and p95 <= TARGET_RELAY_P95_MS})
    return checks


def _ms(value: float) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def table(result: dict[str, Any]) -> str:
    floor = result.get("floor")
    rows = []

    def row(label: str, latency: dict[str, Any], saturation: dict[str, Any] | None, errors: int,
            against_floor: bool = True) -> None:
        floor_p95 = floor["at_pace"]["p95_ms"] if floor and against_floor else None
        floor_rate = floor["saturation"]["turns_per_s"] if floor and against_floor else None
        rate = saturation["turns_per_s"] if saturation else None
        rows.append([label, str(latency["turns"]), _ms(latency["p50_ms"]), _ms(latency["p95_ms"]), _ms(latency["p99_ms"]),
                     f"{rate:.1f} (x{saturation['at_concurrency']})" if saturation else "-", str(errors),
                     str(_ratio(latency["p95_ms"], floor_p95) or "-"), str(_ratio(rate, floor_rate) or "-")])

    for key, label in (("floor", "bare turn (floor)"), ("questions", "question, answered")):
        if key in result:
            phase = result[key]
            errors = phase["at_pace"]["errors"] + phase["saturation"]["errors"]
            row(label, phase["answered"] if key == "questions" else phase["at_pace"], phase["saturation"], errors)
            if key == "questions":
                row("question, any outcome", phase["at_pace"], None, errors)
    if "relay" in result:
        relay = result["relay"]
        row("relay agent -> customer", relay["at_pace"], relay["saturation"],
            relay["at_pace"]["errors"] + relay["saturation"]["errors"], against_floor=False)
    header = ["", "n", "p50 ms", "p95 ms", "p99 ms", "turns/s at saturation", "errors", "p95/floor", "turns/s/floor"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    for check in result.get("targets", []):
        lines.append(f"{'met    ' if check['met'] else 'NOT MET'}  {check['target']}: {check['measured']}")
    direct = (floor or {}).get("rasa_direct")
    if direct and direct["levels"]:
        alone = direct["levels"][0]
        lines.append(f"bare turn on Rasa's REST channel directly (no web app): one at a time p50 {_ms(alone['p50_ms'])} ms, "
                     f"p95 {_ms(alone['p95_ms'])} ms; saturation {direct['turns_per_s']:.1f} turns/s (x{direct['at_concurrency']})")
    if result.get("peak_memory_mb"):
        lines.append("peak memory (VmHWM): " + ", ".join(f"{name} {mb:.0f} MB" for name, mb in result["peak_memory_mb"].items()))
    if result.get("relay", {}).get("stream_drops"):
        lines.append(f"customer live streams dropped (and reconnected): {result['relay']['stream_drops']}")
    if "questions" in result:
        lines.append(f"question outcomes at pace: {result['questions']['at_pace']['outcomes']}")
    lines.append(f"load average (1, 5, 15 min) on {result['cpus']} CPUs: {result['started_load_average']} at the start, "
                 f"{result['ended_load_average']} at the end")
    if result["options"]["stack_env"]:
        lines.append(f"stack environment: {result['options']['stack_env']}")
    return "\n".join(lines)


def write_result(out: Path, result: dict[str, Any], summary: str) -> None:
    """The run's figures as JSON in `out`, and its summary printed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(_without_nan(result), indent=2, default=str), encoding="utf-8")
    print()
    print(summary)
    print(f"written to {out}")


def _without_nan(value: Any) -> Any:
    """JSON has no NaN (a percentile of no sample): null instead."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {key: _without_nan(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_nan(item) for item in value]
    return value


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, BenchOptions]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--web", help="drive a running web app instead of starting a stack (then also --redis-url)")
    parser.add_argument("--redis-url", help="that web app's Redis (the relay phase creates agents in it)")
    parser.add_argument("--rasa", help="with --web: its Rasa server, to measure the floor without the web app too")
    parser.add_argument("--customers", type=int, default=TARGET_CUSTOMERS, help="concurrent customers at a human pace")
    parser.add_argument("--duration", type=float, default=60, help="seconds of each human-pace phase")
    parser.add_argument("--max-turns", type=int, default=5000, help="messages of each phase (and saturation level), at most")
    parser.add_argument("--pause", type=float, default=5.0, help="mean seconds a customer waits before a message (±50 %%)")
    parser.add_argument("--turns", type=int, nargs=2, default=(2, 5), metavar=("MIN", "MAX"),
                        help="messages a conversation (uniform); a decline or hand-over also ends it")
    parser.add_argument("--saturation-seconds", type=float, default=10, help="seconds of each concurrency level")
    parser.add_argument("--max-concurrency", type=int, default=32)
    parser.add_argument("--relay-conversations", type=int, default=20)
    parser.add_argument("--relay-pause", type=float, default=5.0, help="mean seconds between an agent's messages")
    parser.add_argument("--dev-file", type=Path, default=REPO_ROOT / "knowledge" / "sample_dev.jsonl")
    parser.add_argument("--phases", default=",".join(PHASES), help=f"some of {','.join(PHASES)}")
    parser.add_argument("--stack-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for the stack started, e.g. EMBEDDING_CACHE_SIZE=0 (repeatable)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "var" / "bench" / "bench.json")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", type=float, default=0, metavar="SECONDS",
                        help="sample Rasa and the action server with py-spy this long into each saturation "
                             "(top items in the JSON, stacks under var/bench/profiles/)")
    args = parser.parse_args(argv)
    phases = tuple(p.strip() for p in args.phases.split(",") if p.strip())
    unknown = set(phases) - set(PHASES)
    if unknown or not phases:
        parser.error(f"--phases: unknown {sorted(unknown)}; choose among {','.join(PHASES)}")
    if args.customers < 1 or args.duration <= 0 or args.max_turns < 1 or args.pause < 0 or args.turns[0] < 1 \
            or args.turns[1] < args.turns[0] or args.saturation_seconds <= 0 or args.max_concurrency < 1:
        parser.error("counts must be >= 1, durations > 0, the pause >= 0 and --turns MIN <= MAX")
    if args.web and not args.redis_url and "relay" in phases:
        parser.error("--web with the relay phase needs --redis-url (agents are created in that Redis)")
    if any("=" not in item or not item.split("=", 1)[0] for item in args.stack_env):
        parser.error("--stack-env takes NAME=VALUE")
    if args.web and args.stack_env:
        parser.error("--stack-env only applies to a stack the benchmark starts (not with --web)")
    if not args.dev_file.is_file():
        parser.error(f"--dev-file {args.dev_file}: no such file")
    return args, BenchOptions(
        customers=args.customers, duration_s=args.duration, max_turns=args.max_turns,
        pace=Pace(args.pause, args.turns[0], args.turns[1]), saturation_s=args.saturation_seconds,
        max_concurrency=args.max_concurrency, relay_conversations=args.relay_conversations,
        relay_pause_s=args.relay_pause, dev_file=args.dev_file, phases=phases, seed=args.seed,
        profile_s=args.profile, profile_dir=args.out.parent / "profiles",
    )


def main(argv: list[str] | None = None) -> None:
    args, options = parse_args(argv)
    extra_env = dict(item.split("=", 1) for item in args.stack_env)
    started = time.time()
    with bench_stack(args.web, args.redis_url, extra_env, rasa=args.rasa) as stack:
        result = asyncio.run(run(stack, options))
        result["peak_memory_mb"] = peak_memory_mb(stack.pids())
    result.update({
        "ended_load_average": load_average(), "wall_s": round(time.time() - started, 1),
        "options": {"customers": options.customers, "duration_s": options.duration_s, "max_turns": options.max_turns,
                    "pause_s": options.pace.pause_s, "turns": [options.pace.min_turns, options.pace.max_turns],
                    "saturation_s": options.saturation_s, "relay_conversations": options.relay_conversations,
                    "relay_pause_s": options.relay_pause_s, "stack_env": extra_env,
                    "stack": "given" if args.web else "fresh"},
        "cpus": os.cpu_count(),
    })
    result["targets"] = verdicts(result, options.customers)
    write_result(args.out, result, table(result))


if __name__ == "__main__":
    main()
