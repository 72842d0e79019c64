"""The content team's draft workspace: source files waiting to be published, shared by editors;
and ContentTeam, what the web app holds for the editor pages.

One folder per knowledge base (EDITOR_DRAFTS_PATH/<collection>) holds uploaded or edited
sources (Markdown, HTML, PDF, CSV). Publishing the workspace adds or changes articles and
never removes the others. Files that published move to `.published/v<N>/`; files with a
problem stay, with the loader's report. A file written from a cluster of unanswered questions
remembers the cluster's events, which are marked handled once that file is published.

Nothing here loads the embedding model: what needs it runs in the content worker (jobs.py).
The file operations are synchronous: the web app runs them in a thread.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from chromadb.api import ClientAPI
from filelock import FileLock
from redis import Redis

from knowledge.answering.serving import BotState, bot_state, fresh_reports
from knowledge.index.versions import Head, VersionInfo, list_versions, read_head
from knowledge.publishing.jobs import ContentJobs, JobRefused
from knowledge.settings import KnowledgeSettings
from knowledge.sources import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, SourceProblem, load_sources, slug
from knowledge.unanswered.events import UnansweredStore

# Editable as text in the page; a PDF is only uploaded, previewed and published.
TEXT_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".csv")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,118}$")
_CLUSTERS_FILE = ".clusters.json"  # file name -> event ids of the cluster it was drafted from
_PUBLISHED = ".published"


class WorkspaceError(ValueError):
    """A request on the workspace that cannot be done as asked (the message says what to do)."""


class BadFileName(WorkspaceError):
    pass


class FileTooLarge(WorkspaceError):
    pass


class NotFound(WorkspaceError):
    """No such file in the workspace, or no such article in it or published."""


class ClusterGone(WorkspaceError):
    """The cluster was handled, or its questions changed, since the page listed it."""


_REFUSALS: dict[str, type[WorkspaceError]] = {
    error.__name__: error for error in (WorkspaceError, BadFileName, FileTooLarge, NotFound, ClusterGone)
}


def refusal(name: str, detail: str) -> WorkspaceError:
    """The error a job refused with in the worker (by class name), to raise again in the web app."""
    return _REFUSALS.get(name, WorkspaceError)(detail)


@dataclass(frozen=True)
class WorkspaceFile:
    name: str
    size: int
    modified: str  # ISO 8601, UTC
    editable: bool  # text the page can edit
    articles: list[str]  # article ids the file makes
    problems: list[SourceProblem]  # each with the file's name in the workspace as its path
    from_cluster: bool


class DraftWorkspace:
    """The files of one knowledge base's draft workspace, on disk."""

    def __init__(self, root: Path, max_bytes: int = MAX_FILE_BYTES) -> None:
        self.folder = root
        self.max_bytes = max_bytes

    @classmethod
    def for_knowledge_base(cls, settings: KnowledgeSettings) -> DraftWorkspace:
        return cls(settings.editor_drafts_path / slug(settings.collection_name), settings.editor_max_upload_bytes)

    # ------------------------------------------------------------ files
    def path_of(self, name: str) -> Path:
        if not _NAME.match(name) or ".." in name:
            raise BadFileName(
                f"{name!r}: a file name is letters, digits, spaces, '.', '-', '_' and parentheses (120 at most)"
            )
        if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            raise BadFileName(f"{name}: is not a supported type: use {', '.join(SUPPORTED_SUFFIXES)}")
        return self.folder / name

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir()
                      if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SUPPORTED_SUFFIXES)

    def save(self, name: str, data: bytes) -> WorkspaceFile:
        """Store a file (replacing one of the same name); what the loader finds wrong is reported, not refused."""
        path = self.path_of(name)
        if len(data) > self.max_bytes:
            raise FileTooLarge(f"{name}: is {len(data):,} bytes, at most {self.max_bytes:,}: split it into smaller files")
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".upload-")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)  # a reader sees the old file or the new one, never half of it
        return self.describe(name)

    def read_text(self, name: str) -> str:
        path = self._existing(name)
        if path.suffix.lower() not in TEXT_SUFFIXES:
            raise BadFileName(f"{name}: only Markdown, HTML and CSV files are edited as text")
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise BadFileName(f"{name}: is not UTF-8 text ({error.reason} at byte {error.start})") from None

    def remove(self, name: str) -> None:
        self._existing(name).unlink()
        self._forget_clusters([name])

    def describe(self, name: str) -> WorkspaceFile:
        path = self._existing(name)
        loaded = load_sources([path])
        stat = path.stat()
        return WorkspaceFile(
            name=name,
            size=stat.st_size,
            modified=datetime.fromtimestamp(stat.st_mtime, timezone.utc).isoformat(timespec="seconds"),
            editable=path.suffix.lower() in TEXT_SUFFIXES,
            articles=[a.id for a in loaded.articles],
            problems=[self.problem(p) for p in loaded.problems],
            from_cluster=name in self._clusters(),
        )

    def files(self) -> list[WorkspaceFile]:
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

    def problem(self, problem: SourceProblem) -> SourceProblem:
        """The problem as an editor reads it: the file's name in the workspace, not its path."""
        return replace(problem, path=Path(problem.path).name if problem.path else "")

    def _existing(self, name: str) -> Path:
        path = self.path_of(name)
        if not path.is_file():
            raise NotFound(f"{name}: there is no such draft file")
        return path

    # ------------------------------------------------------------ clusters drafted into files
    def _clusters(self) -> dict[str, list[str]]:
        path = self.folder / _CLUSTERS_FILE
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    def _write_clusters(self, mapping: dict[str, list[str]]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / _CLUSTERS_FILE).write_text(json.dumps(mapping, indent=1), encoding="utf-8")

    def _clusters_lock(self) -> FileLock:
        # Files are written from clusters and published by the content worker: maybe several processes.
        self.folder.mkdir(parents=True, exist_ok=True)
        return FileLock(self.folder / ".clusters.lock")

    def remember_cluster(self, name: str, event_ids: Sequence[str]) -> None:
        with self._clusters_lock():
            mapping = self._clusters()
            mapping[name] = sorted({*mapping.get(name, []), *event_ids})
            self._write_clusters(mapping)

    def _forget_clusters(self, names: Sequence[str]) -> list[str]:
        with self._clusters_lock():
            mapping = self._clusters()
            events = [e for name in names for e in mapping.pop(name, [])]
            self._write_clusters(mapping)
            return events

    def set_aside(self, names: Sequence[str], version: int) -> list[str]:
        """Move published files out of the workspace; returns the unanswered events they handled."""
        target = self.folder / _PUBLISHED / f"v{version}"
        target.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.move(str(self.folder / name), str(target / name))
        return self._forget_clusters(names)


class ContentTeam:
    """What the web app holds for the editor pages: the draft workspace's files, the versions (read
    from Chroma), the stream of unanswered questions (agents' suggestions are recorded into it),
    and the jobs the content worker runs: everything that needs the embedding model."""

    def __init__(self, workspace: DraftWorkspace, settings: KnowledgeSettings, client: ClientAPI, redis: Redis,
                 jobs: ContentJobs) -> None:
        self.workspace = workspace
        self.settings = settings
        self.client = client
        self.jobs = jobs
        self._redis = redis
        self._unanswered = UnansweredStore(redis, retention_s=settings.unanswered_retention_s)

    def unanswered(self) -> UnansweredStore:
        return self._unanswered

    async def ask(self, kind: str, **arguments: Any) -> Any:
        """A quick job's answer from the content worker; what it refused is raised as the WorkspaceError it was."""
        try:
            return await self.jobs.ask(kind, **arguments)
        except JobRefused as refused:
            raise refusal(refused.error, str(refused)) from None

    def versions(self) -> list[VersionInfo]:
        """Every version, newest first."""
        return list_versions(self.client, self.settings.collection_name)

    def live_version(self) -> int | None:
        head = self.live_head()
        return head.number if head else None

    def live_head(self) -> Head | None:
        """The live version: its number, articles' version and the answer thresholds it sets."""
        return read_head(self.client, self.settings.collection_name)

    def bot_state(self) -> tuple[int | None, BotState]:
        """The live version, and whether the running action servers answer from it yet."""
        head = read_head(self.client, self.settings.collection_name)
        reports = fresh_reports(self._redis, self.settings.collection_name)
        return (head.number if head else None), bot_state(reports, head.answering if head else None)
