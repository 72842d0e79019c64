"""`make eval VIA=rasa`: every query through the real Rasa REST channel, one conversation each.

python -m ops.eval_rasa --kb K --data D --out O: the same evaluation, files and output as
`python -m knowledge eval` (knowledge.evaluation), asking the whole bot instead of the decision
code: Redis, the action server and Rasa start on the throwaway index (about 2 minutes).
"""
from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

import httpx
from tqdm import tqdm

from knowledge.contract import BotReply, group_rasa_messages
from knowledge.evaluation.evaluate import Query, ReportLine, ThrowawayIndex, evaluate, summary_lines
from ops.stack import start_stack

OUTCOMES = ("answer", "escalate", "decline")


def report_line(query_id: str, replies: list[BotReply], latency_ms: float) -> ReportLine:
    """The bot's last answer, escalation or decline to the query (small talk aside)."""
    classified = [r for r in replies if r.get("outcome") in OUTCOMES]
    last = classified[-1] if classified else {}
    return {
        "id": query_id,
        "outcome": str(last.get("outcome", "decline")),
        "article": last.get("article"),
        "reason": last.get("reason") or (None if last else "no_reply"),
        "confidence": last.get("confidence"),
        "latency_ms": round(latency_ms, 2),
    }


def ask_through_rasa(index: ThrowawayIndex, queries: list[Query]) -> list[ReportLine]:
    """Starts Redis, the action server and Rasa on the throwaway index, then asks each query."""
    print("starting Redis, the action server and Rasa on the evaluation index (about 2 minutes)")
    stack = start_stack(index.workdir, index.chroma, with_web=False)
    lines: list[ReportLine] = []
    try:
        with httpx.Client(timeout=120) as http:
            for query in tqdm(queries, desc="questions via Rasa", unit="q"):
                began = time.perf_counter()
                response = http.post(
                    f"{stack.urls['rasa']}/webhooks/rest/webhook",
                    json={"sender": f"eval-{uuid.uuid4().hex}", "message": query["text"]},
                )
                latency_ms = (time.perf_counter() - began) * 1000
                response.raise_for_status()
                lines.append(report_line(query["id"], group_rasa_messages(response.json()), latency_ms))
    finally:
        stack.stop()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.eval_rasa", description="Score a query set through Rasa.")
    parser.add_argument("--kb", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("var/eval"))
    args = parser.parse_args(argv)
    metrics = evaluate(args.kb, args.data, args.out, ask=ask_through_rasa, via="rasa")
    print("\n".join(summary_lines(args.out, metrics)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
