"""Command line for the content team and operators: python -m knowledge --help"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from knowledge.settings import SAMPLE_KB, KnowledgeSettings


def _ingest(folder: Path, settings: KnowledgeSettings, only_if_empty: bool = False) -> int:
    from knowledge.articles import load_folder
    from knowledge.embeddings import make_embeddings
    from knowledge.ingest import ingest
    from knowledge.service import build_engine
    from knowledge.store import articles_store, make_client

    if not folder.is_dir():
        print(f"error: {folder} is not a folder", file=sys.stderr)
        return 2
    client = make_client(settings)
    embeddings = make_embeddings(settings)
    if only_if_empty and articles_store(client, settings.collection_name, embeddings).get(limit=1)["ids"]:
        print("knowledge base already has articles; not ingesting the sample")
        return 0
    loaded = load_folder(folder)
    for problem in loaded.problems:
        print(f"skipped {problem}", file=sys.stderr)
    started = time.perf_counter()
    report = ingest(loaded.articles, client, settings.collection_name, embeddings)
    elapsed = time.perf_counter() - started
    print(f"{report.summary()} in {elapsed:.1f}s")
    engine = build_engine(client, settings)
    print(f"thresholds for this version: {engine.thresholds}")
    return 1 if loaded.problems else 0


def _list(settings: KnowledgeSettings) -> int:
    from knowledge.embeddings import make_embeddings
    from knowledge.store import articles_store, make_client

    got = articles_store(make_client(settings), settings.collection_name, make_embeddings(settings)).get(
        include=["metadatas"]
    )
    rows = sorted(zip(got["ids"], got["metadatas"]))
    for article_id, meta in rows:
        flag = " [handoff]" if meta.get("handoff") else ""
        variants = len([q for q in str(meta.get("questions") or "").split("\n") if q])
        print(f"{article_id}\t{meta.get('lang')}\t{variants} variants\t{meta.get('title')}{flag}")
    print(f"{len(rows)} articles")
    return 0


def _ask(question: str, lang: str | None, settings: KnowledgeSettings, as_json: bool) -> int:
    from knowledge.service import KnowledgeService

    decision = KnowledgeService(settings).decide(question, lang)
    if as_json:
        print(json.dumps({**decision.payload(), "text": decision.text}, ensure_ascii=False, indent=2))
        return 0
    confidence = "n/a" if decision.confidence is None else f"{decision.confidence:.3f}"
    print(f"decision:   {decision.outcome.value}" + (f" ({decision.reason})" if decision.reason else ""))
    print(f"article:    {decision.article or '-'}")
    print(f"confidence: {confidence}")
    print("sources:    " + (", ".join(f"{s.article} ({s.score:.3f})" for s in decision.sources) or "-"))
    print(f"reply ({decision.lang}):\n{decision.text}")
    return 0


def _eval(kb: Path, data: Path, out: Path, via: str) -> int:
    from knowledge.evaluation import evaluate

    metrics = evaluate(kb, data, out, via=via)
    print(f"report: {out / 'report.jsonl'}  summary: {out / 'summary.json'}")
    print(metrics.line())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description="Manage and query the knowledge base.")
    commands = parser.add_subparsers(dest="command", required=True)
    ingest = commands.add_parser("ingest", help="make the index match a folder of articles (idempotent)")
    ingest.add_argument("folder", type=Path, nargs="?", default=SAMPLE_KB)
    ingest.add_argument("--if-empty", action="store_true", help="only when the index has no article yet")
    commands.add_parser("list", help="list the indexed articles")
    ask = commands.add_parser("ask", help="what the bot would do with a question")
    ask.add_argument("question")
    ask.add_argument("--lang", choices=["en", "fr"], default=None)
    ask.add_argument("--json", action="store_true")
    evaluate = commands.add_parser("eval", help="score a query set on a throwaway index")
    evaluate.add_argument("--kb", type=Path, required=True)
    evaluate.add_argument("--data", type=Path, required=True)
    evaluate.add_argument("--out", type=Path, default=Path("var/eval"))
    evaluate.add_argument("--via", choices=["direct", "rasa"], default="direct")
    args = parser.parse_args(argv)

    settings = KnowledgeSettings()
    if args.command == "ingest":
        return _ingest(args.folder, settings, only_if_empty=args.if_empty)
    if args.command == "list":
        return _list(settings)
    if args.command == "ask":
        return _ask(args.question, args.lang, settings, args.json)
    return _eval(args.kb, args.data, args.out, args.via)


if __name__ == "__main__":
    sys.exit(main())
