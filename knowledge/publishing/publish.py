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

One publish or rollback at a time: a second one while the first runs is refused with
PublishInProgress (a file lock next to the Chroma folder; dry runs need no lock).
"""
from __future__ import annotations

import getpass
import json
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from chromadb.api import ClientAPI
from filelock import FileLock, Timeout

from knowledge.index.archive import Archive
from knowledge.articles import Article
from knowledge.publishing.checks import (
    Duplicate,
    Regression,
    VariantMiss,
    find_duplicates,
    variant_misses,
    variant_regressions,
)
from knowledge.embeddings import make_embeddings
from knowledge.answering.engine import KnowledgeEngine
from knowledge.index.ingest import write_live
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
    VersionInfo,
    VersionKind,
    list_versions,
    load_manifest,
    parse_version,
    read_head,
    record_version,
)



class PublishInProgress(RuntimeError):
    """Another publish or rollback is making a version live: this one was not started."""


@dataclass(frozen=True)
class Diff:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def summary(self) -> str:
        return (
            f"added {len(self.added)}, changed {len(self.changed)}, removed {len(self.removed)}, "
            f"unchanged {self.unchanged}"
        )


def diff_of(live: dict[str, Article], draft: Sequence[Article]) -> Diff:
    wanted = {a.id: a for a in draft}
    return Diff(
        added=sorted(i for i in wanted if i not in live),
        changed=sorted(i for i, a in wanted.items() if i in live and live[i].content_hash != a.content_hash),
        removed=sorted(i for i in live if i not in wanted),
        unchanged=sum(1 for i, a in wanted.items() if i in live and live[i].content_hash == a.content_hash),
    )


@dataclass
class Draft:
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
        self.embeddings = make_embeddings(self.settings)
        self.archive = Archive(self.client, self.name)

    def live(self) -> dict[str, Article]:
        return current_articles(self.client, self.name, self.embeddings)

    def snapshot(self, articles: Sequence[Article], show_progress: bool = False) -> tuple[KnowledgeSnapshot, int]:
        embedded = self.archive.ensure(articles, self.embeddings, show_progress=show_progress)
        return snapshot_of(self.archive, articles), embedded

    def make_live(self, articles: Sequence[Article], author: str, kind: VersionKind, diff: Diff, note: str = "") -> VersionInfo:
        write_live(self.client, self.name, articles, self.archive)
        return record_version(
            self.client, self.name, {a.id: a.content_hash for a in articles},
            snapshot_version([a.content_hash for a in articles]), author, kind,
            added=diff.added, changed=diff.changed, removed=diff.removed, note=note,
        )


def _lock_path(settings: KnowledgeSettings) -> Path:
    # Beside Chroma's folder, which Chroma owns. With a Chroma server (CHROMA_HOST) it still
    # serialises the publishers of this machine: the CLI and the web app.
    return Path(settings.chroma_path).parent / f".{Path(settings.chroma_path).name}.publish.lock"


@contextmanager
def publish_lock(settings: KnowledgeSettings | None = None, who: str = "") -> Iterator[None]:
    """Held while a publish or rollback runs; raises PublishInProgress at once if another holds it."""
    settings = settings or KnowledgeSettings()
    path = _lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    owner = path.with_suffix(".owner")
    lock = FileLock(path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        try:
            holder = json.loads(owner.read_text(encoding="utf-8"))
            by = f" by {holder['who']} (process {holder['pid']}, since {holder['since']})"
        except (OSError, ValueError, KeyError):
            by = ""
        raise PublishInProgress(
            f"another publish or rollback is running{by}: nothing was published; try again when it has finished"
        ) from None
    try:
        owner.write_text(json.dumps({
            "who": who or _author(None), "pid": os.getpid(),
            "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }), encoding="utf-8")
        yield
    finally:
        lock.release()


def _author(author: str | None) -> str:
    if author:
        return author
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _resolved(path: str) -> str:
    return str(Path(path).resolve()) if path else ""


def _load_draft(kb: _KnowledgeBase, paths: Sequence[Path], replace: bool | None) -> Draft:
    loaded = load_sources(paths)
    live = kb.live()
    head = read_head(kb.client, kb.name)
    whole = any(path.is_dir() for path in paths) if replace is None else replace
    problems = list(loaded.problems)
    draft = {a.id: a for a in loaded.articles}
    kept: list[str] = []
    if whole and not draft and live:
        problems.append(SourceProblem(
            ", ".join(str(p) for p in paths), "has no article that can be published: nothing is removed"
        ))
        whole = False
    protected_ids, protected_sources = loaded.protected_ids, loaded.protected_sources
    for article_id, article in live.items():
        if article_id in draft:
            continue
        if not whole or article_id in protected_ids or _resolved(article.source) in protected_sources:
            draft[article_id] = article
            if whole:
                kept.append(article_id)
    articles = sorted(draft.values(), key=lambda a: a.id)
    return Draft(articles, live, head.number if head else None, diff_of(live, articles), problems, sorted(kept))


def _engine_after(
    kb: _KnowledgeBase, draft: Draft, snapshot: KnowledgeSnapshot, recalibrate: bool
) -> tuple[KnowledgeEngine, Lineage | None]:
    """The engine of the draft, with the live thresholds if the change is small enough (see Lineage)."""
    head = read_head(kb.client, kb.name)
    if head is not None and not recalibrate:
        changed = len(draft.diff.added) + len(draft.diff.changed) + len(draft.diff.removed)
        inherit_thresholds(
            kb.client, kb.settings, snapshot.version, head.kb_version, changed,
            kb.settings.recalibrate_share, len(draft.articles),
        )
    engine = engine_for(snapshot, kb.client, kb.settings)  # calibrates unless thresholds are stored
    return engine, load_lineage(kb.client, kb.settings, snapshot.version)


def load_draft(
    paths: Sequence[Path], settings: KnowledgeSettings | None = None, client: ClientAPI | None = None,
    replace: bool | None = None,
) -> Draft:
    """The knowledge base these sources would make, and its difference from what is live.

    replace: the sources are the whole knowledge base (default: when a folder is given).
    """
    return _load_draft(_KnowledgeBase(settings, client), paths, replace)


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
    with publish_lock(kb.settings, _author(author)):
        return _publish(kb, paths, author, False, confirm, replace, current, show_progress, recalibrate)


def _publish(
    kb: _KnowledgeBase, paths: Sequence[Path], author: str | None, dry_run: bool, confirm: bool, replace: bool | None,
    current: KnowledgeEngine | None, show_progress: bool, recalibrate: bool,
) -> PublishResult:
    started = time.perf_counter()
    draft = _load_draft(kb, paths, replace)
    result = PublishResult(diff=draft.diff, problems=draft.problems, kept=draft.kept, base=draft.base, dry_run=dry_run)
    if draft.diff.is_empty:
        result.seconds = time.perf_counter() - started
        return result
    snapshot, result.texts_embedded = kb.snapshot(draft.articles, show_progress)
    # Thresholds stored now, so that going live is quick.
    after, result.lineage = _engine_after(kb, draft, snapshot, recalibrate)
    # Only question variants can regress: without any, the live engine need not be built.
    if any(article.questions for article in draft.live.values()):
        before = current if current is not None else build_engine(kb.client, kb.settings)
        result.regressions = variant_regressions(before, after)
    result.misses = variant_misses(after, draft.focus)
    vectors = kb.archive.article_vectors([a.content_hash for a in draft.articles])
    result.duplicates = find_duplicates(draft.articles, vectors, focus=draft.focus)
    result.blocked = bool(result.regressions) and not confirm and not dry_run
    if not dry_run and not result.blocked:
        result.version = kb.make_live(draft.articles, _author(author), VersionKind.PUBLISH, draft.diff)
    result.seconds = time.perf_counter() - started
    return result


def check(
    paths: Sequence[Path], *, replace: bool | None = None, settings: KnowledgeSettings | None = None,
    client: ClientAPI | None = None, current: KnowledgeEngine | None = None,
) -> PublishResult:
    """Everything a publish would report, without publishing (a dry run)."""
    return publish(paths, dry_run=True, replace=replace, settings=settings, client=client, current=current)


def draft_engine(
    paths: Sequence[Path], settings: KnowledgeSettings | None = None, client: ClientAPI | None = None,
    replace: bool | None = None,
) -> tuple[KnowledgeEngine, Draft]:
    """The engine the bot would answer with if these sources were published (for previews)."""
    kb = _KnowledgeBase(settings, client)
    draft = _load_draft(kb, paths, replace)
    snapshot, _ = kb.snapshot(draft.articles)
    return _engine_after(kb, draft, snapshot, recalibrate=False)[0], draft


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
    with publish_lock(kb.settings, _author(author)):
        return _rollback(kb, number, author)


def _rollback(kb: _KnowledgeBase, number: int, author: str | None) -> PublishResult:
    started = time.perf_counter()
    _, manifest = load_manifest(kb.client, kb.name, number)
    archived = kb.archive.articles(list(manifest.values()))
    articles = sorted((archived[h] for h in manifest.values()), key=lambda a: a.id)
    live = kb.live()
    head = read_head(kb.client, kb.name)
    result = PublishResult(diff=diff_of(live, articles), base=head.number if head else None)
    if not result.diff.is_empty:
        snapshot = snapshot_of(kb.archive, articles)
        if load_calibration(kb.client, kb.name, calibration_key(snapshot.version, kb.settings)) is None:
            engine_for(snapshot, kb.client, kb.settings)
        result.lineage = load_lineage(kb.client, kb.settings, snapshot.version)
        result.version = kb.make_live(articles, _author(author), VersionKind.ROLLBACK, result.diff, note=f"rollback to v{number}")
    result.seconds = time.perf_counter() - started
    return result
