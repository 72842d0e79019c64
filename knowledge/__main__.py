"""Command line for the content team and operators: python -m knowledge --help

Each command calls into the packages and prints what they return; imports are made inside
the commands, so that `--help` answers at once.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.settings import SAMPLE_KB, KnowledgeSettings

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from knowledge.publishing.publish import PublishResult
    from knowledge.unanswered.clustering import Cluster

# Exit codes of the content team's commands.
EXIT_PROBLEMS = 1  # some sources were skipped (the rest was published)
EXIT_USAGE = 2  # nothing done: a wrong folder, file, version or cluster
EXIT_BLOCKED = 3  # question variants would break: nothing published without --confirm
EXIT_BUSY = 4  # another publish or rollback is running: nothing published


def _error(message: object) -> None:
    print(f"error: {message}", file=sys.stderr)


def _ingest(args: argparse.Namespace, settings: KnowledgeSettings) -> int:
    from knowledge.answering.service import build_engine
    from knowledge.articles import load_folder
    from knowledge.embeddings import make_embeddings
    from knowledge.index.ingest import ingest
    from knowledge.index.snapshot import has_live_articles
    from knowledge.index.write_lock import PublishInProgress
    from knowledge.store import make_client

    if not args.folder.is_dir():
        _error(f"{args.folder} is not a folder")
        return EXIT_USAGE
    client = make_client(settings)
    if args.if_empty and has_live_articles(client, settings.collection_name):
        print("knowledge base already has articles; not ingesting the sample")
        return 0
    loaded = load_folder(args.folder)
    for problem in loaded.problems:
        print(f"skipped {problem}", file=sys.stderr)
    started = time.perf_counter()
    try:
        report = ingest(loaded.articles, client, settings.collection_name, make_embeddings(settings))
    except PublishInProgress as error:
        _error(str(error))
        return EXIT_BUSY
    print(f"{report.summary()} in {time.perf_counter() - started:.1f}s")
    logger.debug("thresholds for this version: %s", build_engine(client, settings).thresholds)
    return EXIT_PROBLEMS if loaded.problems else 0


def _list(args: argparse.Namespace, settings: KnowledgeSettings) -> int:
    from knowledge.index.snapshot import live_articles
    from knowledge.store import make_client

    articles = live_articles(make_client(settings), settings.collection_name)
    for a in articles:
        flag = " [handoff]" if a.handoff else ""
        print(f"{a.id}\t{a.lang}\t{len(a.questions)} variants\t{a.title}{flag}")
    print(f"{len(articles)} articles")
    return 0


def _ask(args: argparse.Namespace, settings: KnowledgeSettings) -> int:
    from knowledge.answering.service import KnowledgeService

    decision = KnowledgeService(settings).decide(args.question, args.lang)
    if args.json:
        print(json.dumps({**decision.payload(), "text": decision.text}, ensure_ascii=False, indent=2))
        return 0
    confidence = "n/a" if decision.confidence is None else f"{decision.confidence:.3f}"
    print(f"decision:   {decision.outcome.value}" + (f" ({decision.reason})" if decision.reason else ""))
    print(f"article:    {decision.article or '-'}")
    print(f"confidence: {confidence}")
    print("sources:    " + (", ".join(f"{s.article} ({s.score:.3f})" for s in decision.sources) or "-"))
    print(f"reply ({decision.lang}):\n{decision.text}")
    return 0


def _eval(args: argparse.Namespace, settings: KnowledgeSettings) -> int:
    from knowledge.evaluation.dialogues import evaluate_file
    from knowledge.evaluation.evaluate import summary_lines

    if args.via == "rasa":
        # Asking through Rasa starts the whole stack: ops' work, which knowledge does not import.
        _error("--via rasa runs from ops: python -m ops.eval_rasa --kb K --data D --out O (or make eval VIA=rasa)")
        return EXIT_USAGE
    metrics = evaluate_file(args.kb, args.data, args.out)
    print("\n".join(summary_lines(args.out, metrics)))
    return 0


def _print_items(title: str, items: Sequence[object]) -> None:
    if items:
        print(title)
        for item in items:
            print(f"  {item}")


def _print_result(result: PublishResult, what: str = "publish") -> int:
    diff = result.diff
    print(f"against: {'v' + str(result.base) if result.base else 'an empty knowledge base'}")
    print(f"changes: {diff.summary()}")
    for sign, ids in (("+", diff.added), ("~", diff.changed), ("-", diff.removed)):
        for article_id in ids:
            print(f"  {sign} {article_id}")
    _print_items("problems (skipped; what these sources published before stays as it is):", result.problems)
    if result.kept:
        print("kept as published: " + ", ".join(result.kept))
    _print_items("possible duplicates:", result.duplicates)
    _print_items("question variants of new or changed articles the bot would not answer from them:", result.misses)
    _print_items("new or changed articles answering the same questions as another (overlap or contradiction?):",
                 result.overlaps)
    _print_items(
        f"regressions: {len(result.regressions)} question variants answered today would no longer be:", result.regressions
    )
    if result.version is not None:
        version = result.version
        print(
            f"published {version.label} by {version.author}" + (f" ({version.note})" if version.note else "")
            + f": texts embedded {result.texts_embedded}, {result.seconds:.1f}s; the bot answers from it within seconds"
        )
        if result.lineage is not None and result.lineage.inherited:
            print(f"thresholds kept from the last calibration ({result.lineage.articles_changed} articles changed since)")
    elif diff.is_empty:
        print(f"nothing to {what}: the knowledge base already holds these articles")
    elif result.blocked:
        print("BLOCKED: nothing published. Fix the articles, or publish anyway with --confirm.")
    elif result.dry_run:
        print(f"dry run: nothing published ({result.seconds:.1f}s)")
    if result.regressions and not result.published:
        return EXIT_BLOCKED
    return EXIT_PROBLEMS if result.problems else 0


def _publish(args: argparse.Namespace, settings: KnowledgeSettings) -> int:
    from knowledge.publishing.publish import PublishInProgress, publish

    try:
        result = publish(
            args.paths, author=args.author, dry_run=args.dry_run, confirm=args.confirm,
            replace=False if args.update else None, settings=settings, show_progress=True,
        )
    except PublishInProgress as error:
        _error(error)
        return EXIT_BUSY
    return _print_result(result)


def _check(args: argparse.Namespace, settings: KnowledgeSettings) -> int:
    from knowledge.publishing.publish import check

    return _print_result(check(args.paths, replace=False if args.update else None, settings=settings), "check")


def _versions(args: argparse.Namespace, settings: KnowledgeSettings) -> int:
    from knowledge.publishing.publish import live_version, versions

    live = live_version(settings)
    listed = versions(settings)
    for version in listed:
        mark = "  <- live" if version.number == live else ""
        sets = ", ".join(f"{lang} {value:.3f}" for lang, value in version.answer_thresholds.items())
        details = [version.note] if version.note else []
        details += [f"answer thresholds {sets}"] if sets else []
        note = f" ({'; '.join(details)})" if details else ""
        print(
            f"{version.label}\t{version.created_at}\t{version.author}\t{version.kind.value}{note}\t"
            f"{version.summary()}\t{version.articles} articles{mark}"
        )
    if not listed:
        print("no version yet: publish a folder of articles first")
    return 0


def _rollback(args: argparse.Namespace, settings: KnowledgeSettings) -> int:
    from knowledge.publishing.publish import PublishInProgress, rollback

    try:
        result = rollback(args.version, author=args.author, settings=settings)
    except (KeyError, ValueError) as error:
        _error(error.args[0] if error.args else error)
        return EXIT_USAGE
    except PublishInProgress as error:
        _error(error)
        return EXIT_BUSY
    return _print_result(result, "roll back")


def _preview(args: argparse.Namespace, settings: KnowledgeSettings) -> int:
    from knowledge.publishing.preview import preview

    result = preview(args.question, args.draft or None, args.lang, settings=settings)
    if args.json:
        print(json.dumps({
            **{k: v for k, v in result.__dict__.items() if k not in ("runners_up", "problems")},
            "runners_up": [s.__dict__ for s in result.runners_up],
            "problems": [str(p) for p in result.problems],
        }, ensure_ascii=False, indent=2))
        return 0
    for problem in result.problems:
        print(f"skipped {problem}", file=sys.stderr)
    confidence = "n/a" if result.confidence is None else f"{result.confidence:.3f}"
    print(f"knowledge base: {result.knowledge_base}")
    print(f"decision:   {result.outcome}" + (f" ({result.reason})" if result.reason else ""))
    print(f"article:    {result.article or '-'}" + (f"  {result.title}" if result.title else ""))
    print(f"confidence: {confidence}")
    print("runners-up: " + (", ".join(f"{s.article} ({s.score:.3f})" for s in result.runners_up) or "-"))
    print(f"reply ({result.lang}):\n{result.text}")
    return 0


def _when(milliseconds: int) -> str:
    return datetime.fromtimestamp(milliseconds / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M")


def _clusters(settings: KnowledgeSettings) -> list[Cluster]:
    from knowledge.embeddings import make_embeddings
    from knowledge.unanswered.clustering import clusters
    from knowledge.unanswered.events import UnansweredStore

    return clusters(UnansweredStore.from_settings(settings), make_embeddings(settings), distance=settings.unanswered_cluster_distance)


def _unanswered(args: argparse.Namespace, settings: KnowledgeSettings) -> int:
    from knowledge.unanswered.events import UnansweredStore

    if not args.clusters:
        events = UnansweredStore.from_settings(settings).events(limit=args.limit)
        for event in events:
            why = event.outcome.value + (f" ({event.reason})" if event.reason else "")
            print(f"{_when(event.at_ms)}\t{event.lang}\t{why}\t{event.question}")
        print(f"{len(events)} questions")
        return 0
    found = _clusters(settings)
    for number, cluster in enumerate(found[: args.limit], start=1):
        outcomes = ", ".join(f"{name} {count}" for name, count in sorted(cluster.outcomes.items()))
        print(f"{number}. [{cluster.lang}] {cluster.title}  ({cluster.count} asked; {outcomes}; newest {_when(cluster.newest_ms)}; key {cluster.key})")
        for example in cluster.examples:
            print(f"     - {example}")
        if cluster.suggested_answers:
            print(f"     suggested answer: {cluster.suggested_answers[0][:100]}")
    print(f"{len(found)} clusters")
    return 0


def _draft_from_cluster(args: argparse.Namespace, settings: KnowledgeSettings) -> int:
    from knowledge.articles import ArticleError, parse_article
    from knowledge.unanswered.clustering import find_cluster, mark_handled
    from knowledge.unanswered.drafting import add_questions_to_article, draft_from_cluster
    from knowledge.unanswered.events import UnansweredStore

    found = _clusters(settings)
    cluster = find_cluster(found, args.cluster)
    if cluster is None:
        _error(f"no cluster {args.cluster!r}; `unanswered --clusters` lists {len(found)}")
        return EXIT_USAGE
    if args.into:
        try:
            article = parse_article(args.into.read_text(encoding="utf-8"), source=str(args.into))
        except (OSError, ArticleError) as error:
            _error(f"{args.into}: {error}")
            return EXIT_USAGE
        draft = add_questions_to_article(cluster, article)
        target: Path | None = args.into
    else:
        draft = draft_from_cluster(cluster, article_id=args.id, title=args.title)
        target = args.out / draft.file_name if args.out else None
    if target is None:
        print(draft.markdown, end="")
        return 0
    draft.write(target)
    mark_handled(UnansweredStore.from_settings(settings), cluster)
    print(f"wrote {target} ({len(cluster.questions)} questions from {cluster.count} asked)")
    if draft.needs_answer:
        print("write the answer where the placeholder is, then: python -m knowledge publish " + str(target))
    return 0


def _parser() -> argparse.ArgumentParser:
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
    evaluate.add_argument("--via", choices=["direct", "rasa"], default="direct", help="rasa: python -m ops.eval_rasa")

    publish = commands.add_parser(
        "publish", help="check, then publish articles as a new version (a folder is the whole knowledge base)"
    )
    publish.add_argument("paths", type=Path, nargs="+", help="folders and files: .md, .html, .pdf, .csv")
    publish.add_argument("--dry-run", action="store_true", help="show the changes and the checks, publish nothing")
    publish.add_argument("--confirm", action="store_true", help="publish even if question variants would break")
    publish.add_argument("--author", default=None, help="who publishes (default: the user name)")
    publish.add_argument("--update", action="store_true", help="add or change these articles only; remove nothing")
    check = commands.add_parser("check", help="what a publish would change and break, without publishing")
    check.add_argument("paths", type=Path, nargs="+")
    check.add_argument("--update", action="store_true", help="as for publish")
    commands.add_parser("versions", help="every published version, newest first")
    rollback = commands.add_parser("rollback", help="make an earlier version live again")
    rollback.add_argument("version", help="v3 or 3, as `versions` lists them")
    rollback.add_argument("--author", default=None)
    preview = commands.add_parser("preview", help="what the bot would do with a question, on the live version or a draft")
    preview.add_argument("question")
    preview.add_argument("--draft", type=Path, nargs="+", default=None, help="folders or files, as for publish")
    preview.add_argument("--lang", choices=["en", "fr"], default=None)
    preview.add_argument("--json", action="store_true")
    unanswered = commands.add_parser("unanswered", help="questions the bot could not answer (Redis: REDIS_URL)")
    unanswered.add_argument("--clusters", action="store_true", help="grouped by similar questions, newest first")
    unanswered.add_argument("--limit", type=int, default=50)
    draft = commands.add_parser("draft-from-cluster", help="turn a cluster of unanswered questions into an article draft")
    draft.add_argument("cluster", help="its number in `unanswered --clusters`, or its key")
    draft.add_argument("--out", type=Path, default=None, help="folder to write the draft to (default: print it)")
    draft.add_argument("--into", type=Path, default=None, help="an article file: add the questions to it as variants")
    draft.add_argument("--id", default=None, help="the new article's id")
    draft.add_argument("--title", default=None)
    return parser


COMMANDS = {
    "ingest": _ingest, "list": _list, "ask": _ask, "eval": _eval, "publish": _publish, "check": _check,
    "versions": _versions, "rollback": _rollback, "preview": _preview, "unanswered": _unanswered,
    "draft-from-cluster": _draft_from_cluster,
}


def _settings() -> KnowledgeSettings:
    """The commands are batch work an operator starts (ingest, publish, eval): the embedding model gets one
    thread per core unless EMBEDDING_THREADS says otherwise (the services keep one, not to spin against Rasa
    on the same cores). The sample help centre's ingestion and calibration: 81 s on one thread, 50 s on two."""
    if "EMBEDDING_THREADS" in os.environ or "embedding_threads" in os.environ:
        return KnowledgeSettings()
    return KnowledgeSettings(embedding_threads=0)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return COMMANDS[args.command](args, _settings())


if __name__ == "__main__":
    sys.exit(main())
