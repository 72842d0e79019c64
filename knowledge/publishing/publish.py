"""Publishing the knowledge base: a checked, versioned change that the bot answers from within seconds.

    publish(paths, author=..., dry_run=..., confirm=...) -> PublishResult
    versions() -> list[VersionInfo]
    rollback(version, author=...) -> PublishResult

A folder given to `publish` is the whole knowledge base: articles it no longer has are
removed. Files given alone are added or updated; the rest stays. Either way, an article
whose source is broken (unreadable PDF, bad row, id clash, ...) keeps its published
version, and everything else publishes. Only contents never embedded before are embedded.

The new version's thresholds are stored before it goes live, so the running action server
(KnowledgeService, re-checking the head version every 2 s) loads it without calibrating.
A small change keeps the live thresholds (see knowledge/answering/service.py: Lineage) until the
articles changed since the last calibration pass RECALIBRATE_SHARE of the base.

Answer thresholds set from reviewed answers (answer_thresholds.py: the same articles as a new
version) stay set through the publishes that keep the calibrated thresholds they were set over;
a publish that calibrates afresh drops them. A rollback brings back those of the version it goes
back to, so rolling back a thresholds version restores the thresholds before it.

One publish, rollback or ingest at a time: a second one while the first runs is refused with
PublishInProgress (knowledge/index/write_lock.py; dry runs need no lock).
"""
from __future__ import annotations

import getpass
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from chromadb.api import ClientAPI
from langchain_core.embeddings import Embeddings

from knowledge.index.archive import Archive
from knowledge.articles import Article
from knowledge.publishing.checks import (
    Duplicate,
    Overlap,
    Regression,
    VariantMiss,
    find_duplicates,
    overlaps,
    variant_misses,
    variant_regressions,
)
from knowledge.embeddings import make_embeddings
from knowledge.answering.engine import KnowledgeEngine
from knowledge.index.ingest import Diff, diff_of, write_live
from knowledge.answering.service import (
    Lineage,
    build_engine,
    calibration_key,
    engine_for,
    inherit_thresholds,
    load_lineage,
)
from knowledge.settings import KnowledgeSettings
from knowledge.index.snapshot import KnowledgeSnapshot, current_articles, snapshot_of, snapshot_version
from knowledge.sources import SourceProblem, load_sources
from knowledge.store import load_calibration, make_client
from knowledge.index.versions import (
    Head,
    VersionInfo,
    VersionKind,
    list_versions,
    load_manifest,
    parse_version,
    read_head,
    record_version,
)
from knowledge.index.write_lock import PublishInProgress, write_lock

__all__ = ["Diff", "PublishInProgress", "PublishResult", "author_or_user", "check", "live_version", "proposed_engine",
           "publish", "publish_lock", "rollback", "versions"]


@dataclass
class ProposedKnowledgeBase:
    """What the knowledge base would be after publishing these sources."""

    articles: list[Article]
    live: dict[str, Article]  # what the bot answers from now
    base: int | None  # the version the diff is against
    diff: Diff
    problems: list[SourceProblem]
    kept: list[str]  # published articles kept as they are because their source has a problem

    @property
    def focus(self) -> set[str]:
        return set(self.diff.added) | set(self.diff.changed)


@dataclass
class PublishResult:
    diff: Diff
    problems: list[SourceProblem] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    regressions: list[Regression] = field(default_factory=list)  # blocking unless confirmed
    duplicates: list[Duplicate] = field(default_factory=list)  # flagged
    misses: list[VariantMiss] = field(default_factory=list)  # new variants the bot would not answer: flagged
    overlaps: list[Overlap] = field(default_factory=list)  # new or changed articles answering another's questions: flagged
    base: int | None = None
    version: VersionInfo | None = None  # the version recorded: None for a dry run, a blocked publish, no change
    dry_run: bool = False
    blocked: bool = False
    texts_embedded: int = 0
    seconds: float = 0.0
    lineage: Lineage | None = None  # where the new version's thresholds come from (None: nothing published or checked)

    @property
    def published(self) -> bool:
        return self.version is not None


class _KnowledgeBase:
    """The handles every operation needs, made once."""

    def __init__(self, settings: KnowledgeSettings | None, client: ClientAPI | None) -> None:
        self.settings = settings or KnowledgeSettings()
        self.client = client or make_client(self.settings)
        self.name = self.settings.collection_name
        self.archive = Archive(self.client, self.name)

    @cached_property
    def embeddings(self) -> Embeddings:
        # Loaded only when needed: listing versions or rolling back embeds nothing.
        return make_embeddings(self.settings)

    def live(self) -> dict[str, Article]:
        return current_articles(self.client, self.name)

    def snapshot(self, articles: Sequence[Article], show_progress: bool = False) -> tuple[KnowledgeSnapshot, int]:
        embedded = self.archive.ensure(articles, self.embeddings, show_progress=show_progress)
        return snapshot_of(self.archive, articles), embedded

    def make_live(self, articles: Sequence[Article], author: str, kind: VersionKind, diff: Diff, note: str = "",
                  answer_thresholds: dict[str, float] | None = None) -> VersionInfo:
        write_live(self.client, self.name, articles, self.archive)
        return record_version(
            self.client, self.name, {a.id: a.content_hash for a in articles},
            snapshot_version([a.content_hash for a in articles]), author, kind,
            added=diff.added, changed=diff.changed, removed=diff.removed, note=note, answer_thresholds=answer_thresholds,
        )


def publish_lock(settings: KnowledgeSettings | None = None, who: str = "") -> AbstractContextManager[None]:
    """Held while a publish or rollback runs; raises PublishInProgress at once if another writer holds it."""
    settings = settings or KnowledgeSettings()
    return write_lock(settings.chroma_path, who or author_or_user(None), "publish or rollback")


def author_or_user(author: str | None) -> str:
    if author:
        return author
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _resolved(path: str) -> str:
    return str(Path(path).resolve()) if path else ""


def _propose(kb: _KnowledgeBase, paths: Sequence[Path], replace: bool | None) -> ProposedKnowledgeBase:
    loaded = load_sources(paths)
    live = kb.live()
    head = read_head(kb.client, kb.name)
    whole = any(path.is_dir() for path in paths) if replace is None else replace
    problems = list(loaded.problems)
    proposed = {a.id: a for a in loaded.articles}
    kept: list[str] = []
    if whole and not proposed and live:
        problems.append(SourceProblem(
            ", ".join(str(p) for p in paths), "has no article that can be published: nothing is removed"
        ))
        whole = False
    protected_ids, protected_sources = loaded.protected_ids, loaded.protected_sources
    for article_id, article in live.items():
        if article_id in proposed:
            continue
        if not whole or article_id in protected_ids or _resolved(article.source) in protected_sources:
            proposed[article_id] = article
            if whole:
                kept.append(article_id)
    articles = sorted(proposed.values(), key=lambda a: a.id)
    diff = diff_of({i: a.content_hash for i, a in live.items()}, articles)
    return ProposedKnowledgeBase(articles, live, head.number if head else None, diff, problems, sorted(kept))


def _engine_after(
    kb: _KnowledgeBase, proposed: ProposedKnowledgeBase, snapshot: KnowledgeSnapshot, recalibrate: bool
) -> tuple[KnowledgeEngine, Lineage | None]:
    """The engine of the proposed knowledge base, with the live thresholds if the change is small enough (see Lineage)."""
    head = read_head(kb.client, kb.name)
    if head is not None and not recalibrate:
        changed = len(proposed.diff.added) + len(proposed.diff.changed) + len(proposed.diff.removed)
        inherit_thresholds(
            kb.client, kb.settings, snapshot.version, head.kb_version, changed,
            kb.settings.recalibrate_share, len(proposed.articles),
        )
    engine = engine_for(snapshot, kb.client, kb.settings)  # calibrates unless thresholds are stored
    lineage = load_lineage(kb.client, kb.settings, snapshot.version)
    engine.thresholds = engine.thresholds.with_answer_thresholds(_kept_answer_thresholds(kb, head, lineage))
    return engine, lineage


def _kept_answer_thresholds(kb: _KnowledgeBase, head: Head | None, lineage: Lineage | None) -> dict[str, float]:
    """The answer thresholds the live version sets, if the new one keeps the calibration they were set over."""
    if head is None or not head.answer_thresholds or lineage is None:
        return {}
    parent = load_lineage(kb.client, kb.settings, head.kb_version)
    return dict(head.answer_thresholds) if parent is not None and parent.calibrated_on == lineage.calibrated_on else {}


def publish(
    paths: Sequence[Path],
    *,
    author: str | None = None,
    dry_run: bool = False,
    confirm: bool = False,
    replace: bool | None = None,
    settings: KnowledgeSettings | None = None,
    client: ClientAPI | None = None,
    current: KnowledgeEngine | None = None,
    show_progress: bool = False,
    recalibrate: bool = False,
) -> PublishResult:
    """Check these sources against what is live and, unless a dry run or blocked, publish them.

    Blocked when some question variant answered today from its article would no longer be
    (see knowledge/publishing/checks.py), unless `confirm`. `current`: the engine of the live version,
    if the caller has one (saves building it). `recalibrate`: calibrate the new version even
    if the change is small (thresholds already stored for it are kept). Raises
    PublishInProgress when another publish or rollback is running (not for a dry run).
    """
    kb = _KnowledgeBase(settings, client)
    if dry_run:
        return _publish(kb, paths, author, True, confirm, replace, current, show_progress, recalibrate)
    with publish_lock(kb.settings, author_or_user(author)):
        return _publish(kb, paths, author, False, confirm, replace, current, show_progress, recalibrate)


def _publish(
    kb: _KnowledgeBase, paths: Sequence[Path], author: str | None, dry_run: bool, confirm: bool, replace: bool | None,
    current: KnowledgeEngine | None, show_progress: bool, recalibrate: bool,
) -> PublishResult:
    started = time.perf_counter()
    proposed = _propose(kb, paths, replace)
    result = PublishResult(diff=proposed.diff, problems=proposed.problems, kept=proposed.kept, base=proposed.base,
                           dry_run=dry_run)
    if proposed.diff.is_empty:
        result.seconds = time.perf_counter() - started
        return result
    snapshot, result.texts_embedded = kb.snapshot(proposed.articles, show_progress)
    # Thresholds stored now, so that going live is quick.
    after, result.lineage = _engine_after(kb, proposed, snapshot, recalibrate)
    # Only question variants can regress, and only a new or changed article overlap: else the live engine need not be built.
    before = None
    if proposed.live and (proposed.focus or any(article.questions for article in proposed.live.values())):
        before = current if current is not None else build_engine(kb.client, kb.settings)
        result.regressions = variant_regressions(before, after)
    result.misses = variant_misses(after, proposed.focus)
    result.overlaps = overlaps(before, after, proposed.focus)
    vectors = kb.archive.article_vectors([a.content_hash for a in proposed.articles])
    result.duplicates = find_duplicates(proposed.articles, vectors, focus=proposed.focus)
    result.blocked = bool(result.regressions) and not confirm and not dry_run
    if not dry_run and not result.blocked:
        kept = _kept_answer_thresholds(kb, read_head(kb.client, kb.name), result.lineage)
        result.version = kb.make_live(proposed.articles, author_or_user(author), VersionKind.PUBLISH, proposed.diff,
                                      answer_thresholds=kept)
    result.seconds = time.perf_counter() - started
    return result


def check(
    paths: Sequence[Path], *, replace: bool | None = None, settings: KnowledgeSettings | None = None,
    client: ClientAPI | None = None, current: KnowledgeEngine | None = None,
) -> PublishResult:
    """Everything a publish would report, without publishing (a dry run)."""
    return publish(paths, dry_run=True, replace=replace, settings=settings, client=client, current=current)


def proposed_engine(
    paths: Sequence[Path], settings: KnowledgeSettings | None = None, client: ClientAPI | None = None,
    replace: bool | None = None, live: KnowledgeEngine | None = None,
) -> tuple[KnowledgeEngine, ProposedKnowledgeBase]:
    """The engine the bot would answer with if these sources were published (for previews).

    replace: the sources are the whole knowledge base (default: when a folder is given).
    live: the live engine, whose thresholds a draft never calibrated borrows (nothing is stored: the
    publish still calibrates, or inherits, as it would have); without it the draft is calibrated.
    """
    kb = _KnowledgeBase(settings, client)
    proposed = _propose(kb, paths, replace)
    snapshot, _ = kb.snapshot(proposed.articles)
    if live is not None and not live.snapshot.is_empty:
        return engine_for(snapshot, kb.client, kb.settings, borrowed=live.thresholds), proposed
    return _engine_after(kb, proposed, snapshot, recalibrate=False)[0], proposed


def versions(settings: KnowledgeSettings | None = None, client: ClientAPI | None = None) -> list[VersionInfo]:
    """Every version, newest first; the first is the one the bot answers from unless rolled back."""
    kb = _KnowledgeBase(settings, client)
    return list_versions(kb.client, kb.name)


def live_version(settings: KnowledgeSettings | None = None, client: ClientAPI | None = None) -> int | None:
    kb = _KnowledgeBase(settings, client)
    head = read_head(kb.client, kb.name)
    return head.number if head else None


def rollback(
    version: int | str,
    *,
    author: str | None = None,
    settings: KnowledgeSettings | None = None,
    client: ClientAPI | None = None,
) -> PublishResult:
    """Make an earlier version live again, as a new version; nothing is embedded.

    The articles, their embeddings and the thresholds are those of that version, so the bot
    answers exactly as it did then. Raises PublishInProgress when another publish or rollback runs.
    """
    kb = _KnowledgeBase(settings, client)
    number = parse_version(version)
    with publish_lock(kb.settings, author_or_user(author)):
        return _rollback(kb, number, author)


def _rollback(kb: _KnowledgeBase, number: int, author: str | None) -> PublishResult:
    started = time.perf_counter()
    target, manifest = load_manifest(kb.client, kb.name, number)
    archived = kb.archive.articles(list(manifest.values()))
    articles = sorted((archived[h] for h in manifest.values()), key=lambda a: a.id)
    live = kb.live()
    head = read_head(kb.client, kb.name)
    result = PublishResult(diff=diff_of({i: a.content_hash for i, a in live.items()}, articles), base=head.number if head else None)
    thresholds_differ = target.answer_thresholds != (head.answer_thresholds if head else {})
    if not result.diff.is_empty or thresholds_differ:
        snapshot = snapshot_of(kb.archive, articles)
        if load_calibration(kb.client, kb.name, calibration_key(snapshot.version, kb.settings)) is None:
            engine_for(snapshot, kb.client, kb.settings)
        result.lineage = load_lineage(kb.client, kb.settings, snapshot.version)
        result.version = kb.make_live(articles, author_or_user(author), VersionKind.ROLLBACK, result.diff, note=f"rollback to v{number}",
                                      answer_thresholds=target.answer_thresholds)
    result.seconds = time.perf_counter() - started
    return result

