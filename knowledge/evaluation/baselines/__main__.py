"""python -m knowledge.evaluation.baselines --kb K --data D --out O: this project against its alternatives."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from knowledge.evaluation.baselines.comparison import SYSTEMS, compare
from knowledge.evaluation.baselines.report import write
from knowledge.settings import KnowledgeSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m knowledge.evaluation.baselines",
        description="Score one query set with this project and with Rasa FAQ, dense and BM25 baselines.",
    )
    parser.add_argument("--kb", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("var/eval/peers"))
    parser.add_argument("--systems", default=",".join(SYSTEMS), help=f"comma-separated subset of {','.join(SYSTEMS)}")
    parser.add_argument("--epochs", type=int, default=None, help="Rasa baseline epochs (default: PEER_EPOCHS or 100)")
    args = parser.parse_args(argv)
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = sorted(set(systems) - set(SYSTEMS))
    if unknown:
        parser.error(f"unknown systems {unknown}; known: {', '.join(SYSTEMS)}")

    settings = KnowledgeSettings()
    results = compare(args.kb, args.data, systems, args.epochs, settings)
    title = f"{args.data.parent.name}/{args.data.name}: answer rate against conformity (dot: operating point)"
    shown = write(results, settings.target_conformity, args.out,
                  {"kb": str(args.kb), "data": str(args.data), "title": title})
    print(f"report per system: {args.out}/<system>/report.jsonl  summary: {args.out / 'peers.json'}  "
          f"plot: {args.out / 'peers_curve.png'}")
    print(shown)
    failed = [r.name for r in results if r.note.startswith("failed")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
