"""`make eval VIA=rasa`: every query through the real Rasa REST channel, one conversation each."""
from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
from tqdm import tqdm

from knowledge.contract import group_rasa_messages
from knowledge.evaluation.evaluate import Query, ReportLine
from ops.stack import start_stack


def run_through_rasa(workdir: Path, queries: list[Query]) -> list[ReportLine]:
    """Starts Redis, the action server and Rasa on the throwaway index in workdir/chroma."""
    print("starting Redis, the action server and Rasa on the evaluation index (about 2 minutes)")
    stack = start_stack(workdir, workdir / "chroma", with_web=False)
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
                classified = [r for r in group_rasa_messages(response.json()) if r.get("outcome") in ("answer", "escalate", "decline")]
                last = classified[-1] if classified else {}
                lines.append({
                    "id": query["id"],
                    "outcome": str(last.get("outcome", "decline")),
                    "article": last.get("article"),
                    "reason": last.get("reason") or (None if last else "no_reply"),
                    "confidence": last.get("confidence"),
                    "latency_ms": round(latency_ms, 2),
                })
    finally:
        stack.stop()
    return lines
