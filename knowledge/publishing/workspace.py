"""The content team's draft workspace: source files waiting to be published, shared by editors.

One folder per knowledge base (EDITOR_DRAFTS_PATH/<collection>) holds uploaded or edited
sources (Markdown, HTML, PDF, CSV). Publishing the workspace adds or changes articles and
never removes the others. Files that published move to `.published/v<N>/`; files with a
problem stay, with the loader's report. A file drafted from a cluster of unanswered questions
remembers the cluster's events, which are marked handled once that file is published.

Everything here is synchronous and may be CPU heavy (embedding, calibration): the web app
runs it in a worker thread.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from chromadb.api import ClientAPI
from langchain_core.embeddings import Embeddings
from redis import Redis

from knowledge.articles import Article
from knowledge.embeddings import make_embeddings
from knowledge.answering.engine import KnowledgeEngine
from knowledge.publishing.preview import PreviewResult, preview_with
from knowledge.publishing.publish import PublishResult, draft_engine, publish
from knowledge.answering.service import KnowledgeService
from knowledge.settings import KnowledgeSettings
from knowledge.index.snapshot import current_articles
from knowledge.sources import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, SourceProblem, load_sources, slug
from knowledge.unanswered.stream import (
    ArticleDraft,
    Cluster,
    UnansweredStore,
    add_questions_to_article,
    clusters,
    draft_from_cluster,
)

# Editable as text in the page; a PDF is only uploaded, previewed and published.
TEXT_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".csv")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,118}$")
_CLUSTERS_FILE = ".clusters.json"  # file name -> event ids of the cluster it was drafted from
_PUBLISHED = ".published"



class DraftError(ValueError):
    """A draft file that cannot be stored or read as asked (the message says what to do)."""


class BadDraftName(DraftError):
    pass


class DraftTooLarge(DraftError):
    pass


class DraftNotFound(DraftError):
    pass


class ClusterGone(DraftError):
    """The cluster was handled, or its questions changed, since the page listed it."""


@dataclass(frozen=True)
class Problem:
    """A SourceProblem as an editor reads it: the file's name in the workspace, not its path."""

    file: str
    message: str
    line: int | None = None
    row: int | None = None
    article_id: str | None = None

    @property
    def text(self) -> str:
        where = f"row {self.row}" if self.row is not None else (f"line {self.line}" if self.line is not None else "")
        return f"{self.file}: {where + ': ' if where else ''}{self.message}"


@dataclass(frozen=True)
class DraftFile:
    name: str
    size: int
    modified: str  # ISO 8601, UTC
    editable: bool  # text the page can edit
    articles: list[str]  # article ids the file makes
    problems: list[Problem]
    from_cluster: bool


class DraftWorkspace:
    """The files of one knowledge base's draft, on disk."""

    def __init__(self, root: Path, max_bytes: int = MAX_FILE_BYTES) -> None:
        self.folder = root
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    @classmethod
    def for_knowledge_base(cls, settings: KnowledgeSettings) -> DraftWorkspace:
        return cls(settings.editor_drafts_path / slug(settings.collection_name), settings.editor_max_upload_bytes)

    # ------------------------------------------------------------ files
    def path_of(self, name: str) -> Path:
        if not _NAME.match(name) or ".." in name:
            raise BadDraftName(
                f"{name!r}: a file name is letters, digits, spaces, '.', '-', '_' and parentheses (120 at most)"
            )
        if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            raise BadDraftName(f"{name}: is not a supported type: use {', '.join(SUPPORTED_SUFFIXES)}")
        return self.folder / name

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir()
                      if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SUPPORTED_SUFFIXES)

    def save(self, name: str, data: bytes) -> DraftFile:
        """Store a file (replacing one of the same name); what the loader finds wrong is reported, not refused."""
        path = self.path_of(name)
        if len(data) > self.max_bytes:
            raise DraftTooLarge(f"{name}: is {len(data):,} bytes, at most {self.max_bytes:,}: split it into smaller files")
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".upload-")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)  # a reader sees the old file or the new one, never half of it
        return self.describe(name)

    def read_text(self, name: str) -> str:
        path = self._existing(name)
        if path.suffix.lower() not in TEXT_SUFFIXES:
            raise BadDraftName(f"{name}: only Markdown, HTML and CSV files are edited as text")
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise BadDraftName(f"{name}: is not UTF-8 text ({error.reason} at byte {error.start})") from None

    def remove(self, name: str) -> None:
        self._existing(name).unlink()
        self._forget_clusters([name])

    def describe(self, name: str) -> DraftFile:
        path = self._existing(name)
        loaded = load_sources([path])
        stat = path.stat()
        return DraftFile(
            name=name,
            size=stat.st_size,
            modified=datetime.fromtimestamp(stat.st_mtime, timezone.utc).isoformat(timespec="seconds"),
            editable=path.suffix.lower() in TEXT_SUFFIXES,
            articles=[a.id for a in loaded.articles],
            problems=[self.problem(p) for p in loaded.problems],
            from_cluster=name in self._clusters(),
        )

    def files(self) -> list[DraftFile]:
        return [self.describe(name) for name in self.names()]

    def paths(self) -> list[Path]:
        return [self.folder / name for name in self.names()]

    def fingerprint(self) -> tuple[tuple[str, int, int], ...]:
        """Changes whenever a file is added, removed or rewritten."""
        return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in self.paths())

    def free_name(self, wanted: str) -> str:
        stem, suffix = Path(wanted).stem, Path(wanted).suffix
        name, number = wanted, 1
        while (self.folder / name).exists():
            number += 1
            name = f"{stem}-{number}{suffix}"
        return name

    def problem(self, problem: SourceProblem) -> Problem:
        return Problem(Path(problem.path).name if problem.path else "", problem.message, problem.line, problem.row,
                       problem.article_id)

    def _existing(self, name: str) -> Path:
        path = self.path_of(name)
        if not path.is_file():
            raise DraftNotFound(f"{name}: there is no such draft file")
        return path

    # ------------------------------------------------------------ clusters drafted into files
    def _clusters(self) -> dict[str, list[str]]:
        path = self.folder / _CLUSTERS_FILE
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    def _write_clusters(self, mapping: dict[str, list[str]]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / _CLUSTERS_FILE).write_text(json.dumps(mapping, indent=1), encoding="utf-8")

    def remember_cluster(self, name: str, event_ids: Sequence[str]) -> None:
        with self._lock:
            mapping = self._clusters()
            mapping[name] = sorted({*mapping.get(name, []), *event_ids})
            self._write_clusters(mapping)

    def _forget_clusters(self, names: Sequence[str]) -> list[str]:
        with self._lock:
            mapping = self._clusters()
            events = [e for name in names for e in mapping.pop(name, [])]
            self._write_clusters(mapping)
            return events

    def set_aside(self, names: Sequence[str], version: int) -> list[str]:
        """Move published files out of the draft; returns the unanswered events they handled."""
        target = self.folder / _PUBLISHED / f"v{version}"
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.move(str(self.folder / name), str(target / name))
        return self._forget_clusters(names)


# ---------------------------------------------------------------- the operations of the editor pages


@dataclass
class PublishOutcome:
    result: PublishResult
    problems: list[Problem]
    published_files: list[str] = field(default_factory=list)
    handled_events: int = 0


class ContentTeam:
    """What the editor pages do with the draft, the published versions and unanswered questions.

    Made once per web app: it keeps the embedding model, the live engine and the engine of the
    draft as last previewed, so that asking several questions of one draft calibrates it once.
    """

    def __init__(self, workspace: DraftWorkspace, settings: KnowledgeSettings, client: ClientAPI,
                 redis_url: str | None = None) -> None:
        self.workspace = workspace
        self.settings = settings
        self.client = client
        self._redis_url = redis_url or KnowledgeSettings().redis_url
        self._distance = KnowledgeSettings().unanswered_cluster_distance
        self._embeddings: Embeddings | None = None
        self._live: KnowledgeService | None = None
        self._draft: tuple[object, KnowledgeEngine, list[SourceProblem]] | None = None
        self._unanswered: UnansweredStore | None = None
        self._lock = threading.Lock()

    @property
    def embeddings(self) -> Embeddings:
        if self._embeddings is None:
            self._embeddings = make_embeddings(self.settings)
        return self._embeddings

    def unanswered(self) -> UnansweredStore:
        with self._lock:
            if self._unanswered is None:
                self._unanswered = UnansweredStore(Redis.from_url(self._redis_url, decode_responses=True))
            return self._unanswered

    def problems(self, result: PublishResult) -> list[Problem]:
        return [self.workspace.problem(p) for p in result.problems]

    # ------------------------------------------------------------ check, publish
    def check(self) -> PublishOutcome:
        paths = self.workspace.paths()
        result = publish(paths, dry_run=True, replace=False, settings=self.settings, client=self.client)
        return PublishOutcome(result, self.problems(result))

    def publish(self, author: str, confirm: bool) -> PublishOutcome:
        paths = self.workspace.paths()
        read = {entry[0]: entry for entry in self.workspace.fingerprint()}
        result = publish(paths, author=author, confirm=confirm, replace=False, settings=self.settings, client=self.client)
        outcome = PublishOutcome(result, self.problems(result))
        if result.version is not None:
            with_problems = {p.file for p in outcome.problems}
            # A file rewritten while the publish ran stays in the draft: its new content was not published.
            unchanged = {entry[0] for entry in self.workspace.fingerprint() if read.get(entry[0]) == entry}
            outcome.published_files = [p.name for p in paths if p.name not in with_problems and p.name in unchanged]
            events = self.workspace.set_aside(outcome.published_files, result.version.number)
            outcome.handled_events = self.unanswered().mark_handled(events)
        return outcome

    # ------------------------------------------------------------ preview
    def live_engine(self) -> KnowledgeEngine:
        with self._lock:
            if self._live is None:
                # Checked on every preview (one read): an editor previews right after publishing.
                self._live = KnowledgeService(self.settings, self.client, check_every_s=0)
            service = self._live
        return service.latest_engine()

    def draft_engine(self) -> tuple[KnowledgeEngine, list[SourceProblem]]:
        head = self.live_engine().snapshot.version
        key = (self.workspace.fingerprint(), head)
        with self._lock:
            if self._draft is not None and self._draft[0] == key:
                return self._draft[1], self._draft[2]
        engine, draft = draft_engine(self.workspace.paths(), self.settings, self.client, replace=False)
        with self._lock:
            self._draft = (key, engine, draft.problems)
        return engine, draft.problems

    def preview(self, question: str, lang: str | None, against_draft: bool) -> tuple[PreviewResult, list[Problem]]:
        if not against_draft:
            return preview_with(self.live_engine(), question, lang), []
        engine, problems = self.draft_engine()
        return preview_with(engine, question, lang, knowledge_base="draft"), [self.workspace.problem(p) for p in problems]

    # ------------------------------------------------------------ unanswered questions
    def clusters(self) -> list[Cluster]:
        return clusters(self.unanswered(), self.embeddings, distance=self._distance)

    def _cluster(self, key: str) -> Cluster:
        found = next((c for c in self.clusters() if c.key == key), None)
        if found is None:
            raise ClusterGone(f"cluster {key}: it is no longer on the list (handled, or its questions changed): reload")
        return found

    def live_articles(self) -> dict[str, Article]:
        return current_articles(self.client, self.settings.collection_name, self.embeddings)

    def draft_from_cluster(self, key: str, title: str | None = None) -> tuple[DraftFile, ArticleDraft]:
        cluster = self._cluster(key)
        draft = draft_from_cluster(cluster, title=title or None)
        return self._write_draft(draft, cluster, self.workspace.free_name(draft.file_name)), draft

    def add_cluster_to_article(self, key: str, article_id: str) -> tuple[DraftFile, ArticleDraft]:
        """The article, with the cluster's questions as new variants, written into the draft.

        The article is taken from the draft when a Markdown file there already makes it, else as published.
        """
        cluster = self._cluster(key)
        in_draft = self._draft_article(article_id)
        if in_draft is not None:
            article, name = in_draft
        else:
            article = self.live_articles().get(article_id)
            if article is None:
                raise DraftNotFound(f"{article_id}: there is no such article, in the draft or published")
            name = None
        draft = add_questions_to_article(cluster, article)
        return self._write_draft(draft, cluster, name or self.workspace.free_name(draft.file_name)), draft

    def _draft_article(self, article_id: str) -> tuple[Article, str] | None:
        for path in self.workspace.paths():
            if path.suffix.lower() not in (".md", ".markdown"):
                continue
            for article in load_sources([path]).articles:
                if article.id == article_id:
                    return article, path.name
        return None

    def _write_draft(self, draft: ArticleDraft, cluster: Cluster, name: str) -> DraftFile:
        self.workspace.remember_cluster(name, cluster.event_ids)
        return self.workspace.save(name, draft.markdown.encode("utf-8"))

