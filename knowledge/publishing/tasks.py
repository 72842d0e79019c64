"""What the content worker runs: the functions jobs.py enqueues by name.

Each takes `where` (the knowledge base and the draft workspace the web app serves), does the work
with that knowledge base's ContentWork (made once per worker process, with its engines) and
returns JSON (reports.py). A refusal (WorkspaceError: no such file, the cluster is gone, ...) or
any other error is written into the job's meta before the job fails, for the web app to answer
with (404, 422) or to show the editor.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from rq import get_current_job

from knowledge.publishing.content_work import ContentWork
from knowledge.redis_client import connect_sync
from knowledge.publishing.reports import (
    article_report,
    cluster_article_report,
    cluster_report,
    outcome_report,
    preview_report,
    publish_report,
)
from knowledge.publishing.workspace import DraftWorkspace, WorkspaceError
from knowledge.settings import KnowledgeSettings
from knowledge.store import make_client

Result = TypeVar("Result")
KEEP_KNOWLEDGE_BASES = 4  # ContentWork kept per worker process, least recently used dropped

_work: OrderedDict[str, ContentWork] = OrderedDict()
_work_lock = threading.Lock()


def content_work(where: dict[str, Any]) -> ContentWork:
    """The ContentWork of this knowledge base; the worker's own settings (environment) say the rest."""
    key = json.dumps(where, sort_keys=True)
    with _work_lock:
        if key not in _work:
            settings = KnowledgeSettings(**where)
            _work[key] = ContentWork(DraftWorkspace.for_knowledge_base(settings), settings, make_client(settings),
                                     connect_sync(settings.redis_url))
            while len(_work) > KEEP_KNOWLEDGE_BASES:
                _work.popitem(last=False)
        _work.move_to_end(key)
        return _work[key]


def _recorded(work: Callable[[], Result]) -> Result:
    try:
        return work()
    except WorkspaceError as error:
        _note(refused=type(error).__name__, detail=str(error))
        raise
    except Exception as error:
        _note(error=f"{type(error).__name__}: {error}")
        raise


def _note(**fields: str) -> None:
    job = get_current_job()
    if job is not None:
        job.meta.update(fields)
        job.save_meta()


# ---------------------------------------------------------------- long jobs: one at a time


def check(where: dict[str, Any]) -> dict[str, Any]:
    return _recorded(lambda: outcome_report(content_work(where).check()))


def publish(where: dict[str, Any], author: str, confirm: bool) -> dict[str, Any]:
    return _recorded(lambda: outcome_report(content_work(where).publish(author, confirm)))


def rollback(where: dict[str, Any], author: str, version: int) -> dict[str, Any]:
    return _recorded(lambda: publish_report(content_work(where).rollback(version, author), []))


def thresholds(where: dict[str, Any], author: str, answer_thresholds: dict[str, float], base: int, note: str) -> dict[str, Any]:
    """Answer thresholds set from reviewed answers, as a new version of the live articles."""
    return _recorded(lambda: publish_report(content_work(where).apply_answer_thresholds(answer_thresholds, base, note, author), []))


# ---------------------------------------------------------------- quick jobs: the request waits


def preview(where: dict[str, Any], question: str, lang: str | None, against: str) -> dict[str, Any]:
    return _recorded(lambda: preview_report(*content_work(where).preview(question, lang, against == "draft")))


def clusters(where: dict[str, Any]) -> list[dict[str, Any]]:
    def listed() -> list[dict[str, Any]]:
        work = content_work(where)
        return [cluster_report(c, work.closest_article(c)) for c in work.clusters()]
    return _recorded(listed)


def live_articles(where: dict[str, Any]) -> list[dict[str, Any]]:
    articles = _recorded(lambda: content_work(where).live_articles())
    return [article_report(a) for a in sorted(articles.values(), key=lambda a: a.id)]


def article_from_cluster(where: dict[str, Any], key: str, title: str | None) -> dict[str, Any]:
    written = _recorded(lambda: content_work(where).article_from_cluster(key, title))
    return cluster_article_report(written, written.draft.needs_answer)


def add_cluster_to_article(where: dict[str, Any], key: str, article: str) -> dict[str, Any]:
    written = _recorded(lambda: content_work(where).add_cluster_to_article(key, article))
    return cluster_article_report(written, False)
