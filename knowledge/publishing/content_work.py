"""The content team's work on one knowledge base, as the content worker does it: check and publish
the draft workspace, preview a question, cluster the unanswered questions, turn a cluster into an
article in the workspace. Synchronous and CPU heavy (embedding, calibration).

Made once per knowledge base in a worker process (tasks.py): it keeps the live engine and the
engine of the knowledge base the workspace would make as last previewed, so that asking several
questions of one unchanged workspace calibrates it once.
"""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

from chromadb.api import ClientAPI
from langchain_core.embeddings import Embeddings
from redis import Redis

from knowledge.answering.engine import KnowledgeEngine
from knowledge.answering.service import KnowledgeService
from knowledge.articles import Article
from knowledge.embeddings import make_embeddings
from knowledge.index.snapshot import current_articles
from knowledge.publishing.preview import PreviewResult, preview_with
from knowledge.publishing.answer_thresholds import apply_answer_thresholds
from knowledge.publishing.publish import PublishResult, proposed_engine, publish, rollback
from knowledge.publishing.workspace import ClusterGone, DraftWorkspace, NotFound, WorkspaceFile
from knowledge.settings import KnowledgeSettings
from knowledge.sources import SourceProblem, load_sources
from knowledge.unanswered.clustering import Cluster, clusters
from knowledge.unanswered.drafting import ArticleDraft, add_questions_to_article, draft_from_cluster
from knowledge.unanswered.events import UnansweredStore


@dataclass
class PublishOutcome:
    result: PublishResult
    problems: list[SourceProblem]
    published_files: list[str] = field(default_factory=list)
    handled_events: int = 0


@dataclass(frozen=True)
class ClusterArticle:
    """An article written into the workspace from a cluster of unanswered questions."""

    file: WorkspaceFile
    draft: ArticleDraft


class ContentWork:
    def __init__(self, workspace: DraftWorkspace, settings: KnowledgeSettings, client: ClientAPI, redis: Redis) -> None:
        self.workspace = workspace
        self.settings = settings
        self.client = client
        self.unanswered = UnansweredStore(redis, retention_s=settings.unanswered_retention_s)
        self._live: KnowledgeService | None = None
        self._proposed: tuple[object, KnowledgeEngine, list[SourceProblem]] | None = None
        self._lock = threading.Lock()

    @property
    def embeddings(self) -> Embeddings:
        return make_embeddings(self.settings)  # one model per process (cached by the factory)

    def problems(self, result: PublishResult) -> list[SourceProblem]:
        return [self.workspace.problem(p) for p in result.problems]

    # ------------------------------------------------------------ check, publish, rollback
    def check(self) -> PublishOutcome:
        result = publish(self.workspace.paths(), dry_run=True, replace=False, settings=self.settings, client=self.client,
                         current=self.live_engine())
        return PublishOutcome(result, self.problems(result))

    def publish(self, author: str, confirm: bool) -> PublishOutcome:
        paths = self.workspace.paths()
        read = {entry[0]: entry for entry in self.workspace.fingerprint()}
        result = publish(paths, author=author, confirm=confirm, replace=False, settings=self.settings, client=self.client,
                         current=self.live_engine())
        outcome = PublishOutcome(result, self.problems(result))
        if result.version is not None:
            with_problems = {p.path for p in outcome.problems}
            # A file rewritten while the publish ran stays in the workspace: its new content was not published.
            unchanged = {entry[0] for entry in self.workspace.fingerprint() if read.get(entry[0]) == entry}
            outcome.published_files = [p.name for p in paths if p.name not in with_problems and p.name in unchanged]
            events = self.workspace.set_aside(outcome.published_files, result.version.number)
            outcome.handled_events = self.unanswered.mark_handled(events)
        return outcome

    def rollback(self, version: int, author: str) -> PublishResult:
        return rollback(version, author=author, settings=self.settings, client=self.client)

    def apply_answer_thresholds(self, thresholds: dict[str, float], base: int, note: str, author: str) -> PublishResult:
        return apply_answer_thresholds(thresholds, base=base, note=note, author=author, settings=self.settings,
                                       client=self.client)

    # ------------------------------------------------------------ preview
    def live_engine(self) -> KnowledgeEngine:
        with self._lock:
            if self._live is None:
                # Checked on every preview (one read): an editor previews right after publishing.
                self._live = KnowledgeService(self.settings, self.client, check_every_s=0)
            service = self._live
        return service.latest_engine()

    def proposed_engine(self) -> tuple[KnowledgeEngine, list[SourceProblem]]:
        """The engine of the knowledge base that publishing the workspace would make."""
        live = self.live_engine()
        key = (self.workspace.fingerprint(), live.snapshot.version)
        with self._lock:
            if self._proposed is not None and self._proposed[0] == key:
                return self._proposed[1], self._proposed[2]
        engine, proposed = proposed_engine(self.workspace.paths(), self.settings, self.client, replace=False, live=live)
        with self._lock:
            self._proposed = (key, engine, proposed.problems)
        return engine, proposed.problems

    def preview(self, question: str, lang: str | None, against_workspace: bool) -> tuple[PreviewResult, list[SourceProblem]]:
        if not against_workspace:
            return preview_with(self.live_engine(), question, lang), []
        engine, problems = self.proposed_engine()
        return preview_with(engine, question, lang, knowledge_base="draft"), [self.workspace.problem(p) for p in problems]

    # ------------------------------------------------------------ unanswered questions
    def clusters(self) -> list[Cluster]:
        return clusters(self.unanswered, self.embeddings, distance=self.settings.unanswered_cluster_distance)

    def closest_article(self, cluster: Cluster) -> str | None:
        """The published article the cluster's questions come closest to, most often (the page's
        default to add them to): the article each would be answered from, or its best match."""
        engine = self.live_engine()
        if engine.snapshot.is_empty or not cluster.examples:
            return None
        votes: Counter[str] = Counter()
        for question, vector in zip(cluster.examples, engine.embed(cluster.examples)):
            decision = engine.decide(question, cluster.lang, vector)
            best = decision.article or next((s.article for s in decision.sources), None)
            if best in engine.snapshot.articles:
                votes[best] += 1
        return votes.most_common(1)[0][0] if votes else None

    def _cluster(self, key: str) -> Cluster:
        found = next((c for c in self.clusters() if c.key == key), None)
        if found is None:
            raise ClusterGone(f"cluster {key}: it is no longer on the list (handled, or its questions changed): reload")
        return found

    def live_articles(self) -> dict[str, Article]:
        return current_articles(self.client, self.settings.collection_name)

    def article_from_cluster(self, key: str, title: str | None = None) -> ClusterArticle:
        """A new article in the workspace: the cluster's questions as variants, an agent's suggested reply as the answer."""
        cluster = self._cluster(key)
        draft = draft_from_cluster(cluster, title=title or None)
        return ClusterArticle(self._write(draft, cluster, self.workspace.free_name(draft.file_name)), draft)

    def add_cluster_to_article(self, key: str, article_id: str) -> ClusterArticle:
        """The article, with the cluster's questions as new variants, written into the workspace.

        The article is taken from the workspace when a Markdown file there already makes it, else as published.
        """
        cluster = self._cluster(key)
        in_workspace = self._workspace_article(article_id)
        if in_workspace is not None:
            article, name = in_workspace
        else:
            article = self.live_articles().get(article_id)
            if article is None:
                raise NotFound(f"{article_id}: there is no such article, in the draft or published")
            name = None
        draft = add_questions_to_article(cluster, article)
        return ClusterArticle(self._write(draft, cluster, name or self.workspace.free_name(draft.file_name)), draft)

    def _workspace_article(self, article_id: str) -> tuple[Article, str] | None:
        for path in self.workspace.paths():
            if path.suffix.lower() not in (".md", ".markdown"):
                continue
            for article in load_sources([path]).articles:
                if article.id == article_id:
                    return article, path.name
        return None

    def _write(self, draft: ArticleDraft, cluster: Cluster, name: str) -> WorkspaceFile:
        self.workspace.remember_cluster(name, cluster.event_ids)
        return self.workspace.save(name, draft.markdown.encode("utf-8"))
