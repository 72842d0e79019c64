"""How often an advisor's first suggestion is the right article, on scripted hand-overs.

    python -m ops.measure_suggestions [--data ops/scripted_handovers.jsonl] [--kb knowledge/sample_kb]

Each hand-over (ops/scripted_handovers.jsonl: 30, one held-out question per article and language
of the sample help centre, then a request for a person) is scored two ways, on one throwaway index:
- before: what main did, the articles ranked for the message that handed over, no floor;
- after: suggestions from the conversation's customer messages, newest first (actions/suggestions.py).
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from actions.suggestions import rank_articles, suggest_for_conversation, suggestion_floor
from knowledge.answering.engine import KnowledgeEngine
from knowledge.evaluation.evaluate import build_throwaway_engine
from knowledge.settings import SAMPLE_KB, KnowledgeSettings

DATA = Path(__file__).parent / "scripted_handovers.jsonl"


def first_before(engine: KnowledgeEngine, turns: list[str], lang: str) -> str | None:
    text = turns[-1]
    ranked = rank_articles(engine, text, engine.embed([text])[0], lang)
    return ranked[0].article if ranked else None


def first_after(engine: KnowledgeEngine, turns: list[str], lang: str) -> str | None:
    found = suggest_for_conversation(engine, list(reversed(turns)), lang)
    return found[0]["article"] if found else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--kb", type=Path, default=SAMPLE_KB)
    args = parser.parse_args(argv)
    handovers = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory(prefix="suggestions-") as workdir:
        engine = build_throwaway_engine(args.kb, KnowledgeSettings(), Path(workdir))
        before = after = empty = 0
        for handover in handovers:
            lang, turns, expected = handover["lang"], handover["turns"], handover["expected"]
            was, now = first_before(engine, turns, lang), first_after(engine, turns, lang)
            before += was == expected
            after += now == expected
            empty += now is None
            print(f"{handover['id']}: expected {expected} | before {was} | after {now}")
        floors = {lang: round(suggestion_floor(engine, lang), 3) for lang in sorted({h["lang"] for h in handovers})}
    total = len(handovers)
    print(f"right article first: before {before}/{total} ({before / total:.0%}), after {after}/{total} "
          f"({after / total:.0%}); after, no suggestion at all: {empty}/{total}; floors {floors}")


if __name__ == "__main__":
    main()
