"""`make eval VIA=rasa`: every query through the real Rasa REST channel, one conversation each.

python -m ops.eval_rasa --kb K --data D --out O: the same evaluation, files and output as
`python -m knowledge eval` (knowledge.evaluation), asking the whole bot instead of the decision
code: Redis, the action server and Rasa start on the throwaway index (about 2 minutes).
A conversation file (knowledge.evaluation.dialogues) is asked one conversation a sender, its
turns in order; what the bot said is kept, and conversations where it sent one text three
times in a row are counted.
"""
from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from tqdm import tqdm

from knowledge.contract import BotReply, group_rasa_messages
from knowledge.evaluation.dialogues import (
    Conversation, ConversationRun, Transcript, TranscriptTurn, evaluate_file, repeated_text, turn_id,
)
from knowledge.evaluation.evaluate import Query, ReportLine, ThrowawayIndex, summary_lines
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


@contextmanager
def rasa_webhook(index: ThrowawayIndex) -> Iterator[str]:
    """Redis, the action server and Rasa on the throwaway index, for as long as the block runs:
    the URL of Rasa's REST channel."""
    print("starting Redis, the action server and Rasa on the evaluation index (about 2 minutes)")
    stack = start_stack(index.workdir, index.chroma, with_web=False)
    try:
        yield f"{stack.urls['rasa']}/webhooks/rest/webhook"
    finally:
        stack.stop()


def say(http: httpx.Client, webhook: str, sender: str, text: str) -> tuple[list[BotReply], float]:
    """The bot's replies to one customer message, and how long they took (ms)."""
    began = time.perf_counter()
    response = http.post(webhook, json={"sender": sender, "message": text})
    latency_ms = (time.perf_counter() - began) * 1000
    response.raise_for_status()
    return group_rasa_messages(response.json()), latency_ms


def new_sender() -> str:
    return f"eval-{uuid.uuid4().hex}"


def ask_through_rasa(index: ThrowawayIndex, queries: list[Query]) -> list[ReportLine]:
    """Starts Redis, the action server and Rasa on the throwaway index, then asks each query."""
    lines: list[ReportLine] = []
    with rasa_webhook(index) as webhook, httpx.Client(timeout=120) as http:
        for query in tqdm(queries, desc="questions via Rasa", unit="q"):
            replies, latency_ms = say(http, webhook, new_sender(), query["text"])
            lines.append(report_line(query["id"], replies, latency_ms))
    return lines


def converse_through_rasa(index: ThrowawayIndex, conversations: list[Conversation]) -> ConversationRun:
    """Starts the stack as `ask_through_rasa` does, then has each conversation with a sender of its own."""
    lines: list[ReportLine] = []
    transcripts: list[Transcript] = []
    with rasa_webhook(index) as webhook, httpx.Client(timeout=120) as http:
        bar = tqdm(total=sum(len(c["turns"]) for c in conversations), desc="turns via Rasa", unit="turn")
        for conversation in conversations:
            sender = new_sender()
            said: list[TranscriptTurn] = []
            for number, turn in enumerate(conversation["turns"]):
                replies, latency_ms = say(http, webhook, sender, turn["text"])
                lines.append(report_line(turn_id(conversation["id"], number), replies, latency_ms))
                said.append({
                    "text": turn["text"],
                    "replies": [{"outcome": reply.get("outcome"), "text": reply.get("text") or ""} for reply in replies],
                })
                bar.update(1)
            transcripts.append({"id": conversation["id"], "sender": sender, "turns": said})
        bar.close()
    return ConversationRun(lines, transcripts, repeated_text(transcripts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ops.eval_rasa", description="Score a query set or a conversation file through Rasa.",
    )
    parser.add_argument("--kb", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("var/eval"))
    args = parser.parse_args(argv)
    metrics = evaluate_file(args.kb, args.data, args.out, ask=ask_through_rasa, via="rasa", converse=converse_through_rasa)
    print("\n".join(summary_lines(args.out, metrics)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
