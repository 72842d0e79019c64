"""Runs inside the Rasa virtual environment (Python 3.10): a trained NLU model over questions.

usage: .venv-rasa/bin/python knowledge/evaluation/baselines/rasa_faq_runner.py MODEL QUESTIONS.jsonl OUT.jsonl

QUESTIONS.jsonl: one {"id", "text"} a line. OUT.jsonl: one line per question with the
intent and its confidence, the response selector's ranking of `faq/<key>` responses
(key, confidence), and the time parse_message took. Imports only Rasa and the standard
library, so it never needs the application's virtual environment.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

RETRIEVAL_INTENT = "faq"


def ranking_of(parsed: dict[str, Any]) -> list[tuple[str, float]]:
    """The `faq/<key>` responses, best first, as (key, confidence)."""
    selector = (parsed.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
    ranking = selector.get("ranking") or []
    prefix = f"{RETRIEVAL_INTENT}/"
    out = []
    for item in ranking:
        key = str(item.get("intent_response_key", ""))
        out.append((key[len(prefix):] if key.startswith(prefix) else key, float(item.get("confidence", 0.0))))
    return out


async def parse_all(model: str, questions: list[dict[str, str]], out_path: str) -> None:
    from rasa.core.agent import Agent
    from tqdm import tqdm

    agent = Agent.load(model)
    with open(out_path, "w", encoding="utf-8") as out:
        for question in tqdm(questions, desc="questions via Rasa NLU", unit="q", file=sys.stderr):
            began = time.perf_counter()
            parsed = await agent.parse_message(question["text"])
            latency_ms = (time.perf_counter() - began) * 1000
            intent = parsed.get("intent") or {}
            line = {
                "id": question["id"],
                "intent": intent.get("name"),
                "intent_confidence": float(intent.get("confidence") or 0.0),
                "ranking": ranking_of(parsed),
                "latency_ms": round(latency_ms, 2),
            }
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    model, questions_path, out_path = argv
    with open(questions_path, encoding="utf-8") as handle:
        questions = [json.loads(line) for line in handle if line.strip()]
    asyncio.run(parse_all(model, questions, out_path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
