"""What the editor pages read, as JSON: the content worker's job results and the web app's answers
share these shapes (a job's result is stored in Redis as JSON, and read back by the web app)."""
from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the web app reads these shapes without importing what makes them
    from knowledge.articles import Article
    from knowledge.index.versions import VersionInfo
    from knowledge.publishing.content_work import ClusterArticle, PublishOutcome
    from knowledge.publishing.preview import PreviewResult
    from knowledge.publishing.publish import PublishResult
    from knowledge.publishing.workspace import WorkspaceFile
    from knowledge.sources import SourceProblem
    from knowledge.unanswered.clustering import Cluster


def problem_report(problem: SourceProblem) -> dict[str, Any]:
    """A problem of a workspace file (its path is the file's name): where, then what to do."""
    where = f"row {problem.row}" if problem.row is not None else (f"line {problem.line}" if problem.line is not None else "")
    return {"file": problem.path, "message": problem.message, "line": problem.line, "row": problem.row,
            "article_id": problem.article_id, "text": f"{problem.path}: {where + ': ' if where else ''}{problem.message}"}


def file_report(file: WorkspaceFile) -> dict[str, Any]:
    return {**asdict(file), "problems": [problem_report(p) for p in file.problems]}


def version_report(info: VersionInfo) -> dict[str, Any]:
    return {**asdict(info), "kind": info.kind.value, "label": info.label}


def publish_report(result: PublishResult, problems: list[SourceProblem]) -> dict[str, Any]:
    return {
        "diff": asdict(result.diff),
        "problems": [problem_report(p) for p in problems],
        "kept": result.kept,
        "regressions": [{**asdict(r), "kind": r.kind.value, "text": str(r)} for r in result.regressions],
        "misses": [{**asdict(m), "text": str(m)} for m in result.misses],
        "duplicates": [{**asdict(d), "kind": d.kind.value, "text": str(d)} for d in result.duplicates],
        "overlaps": [{**asdict(o), "text": str(o)} for o in result.overlaps],
        "base": result.base,
        "version": version_report(result.version) if result.version else None,
        "dry_run": result.dry_run,
        "blocked": result.blocked,
        "published": result.published,
        "texts_embedded": result.texts_embedded,
        "seconds": round(result.seconds, 1),
    }


def outcome_report(outcome: PublishOutcome) -> dict[str, Any]:
    return {**publish_report(outcome.result, outcome.problems), "published_files": outcome.published_files,
            "handled_questions": outcome.handled_events}


def preview_report(result: PreviewResult, problems: list[SourceProblem]) -> dict[str, Any]:
    return {
        "question": result.question, "lang": result.lang, "outcome": result.outcome, "reason": result.reason,
        "article": result.article, "title": result.title, "confidence": result.confidence, "text": result.text,
        "runners_up": [asdict(s) for s in result.runners_up], "knowledge_base": result.knowledge_base,
        "problems": [problem_report(p) for p in problems],
    }


def cluster_report(cluster: Cluster, closest_article: str | None = None) -> dict[str, Any]:
    fields = asdict(cluster)
    fields.pop("event_ids")
    return {**fields, "closest_article": closest_article}


def cluster_article_report(written: ClusterArticle, needs_answer: bool) -> dict[str, Any]:
    return {"file": file_report(written.file), "article": written.draft.article_id, "needs_answer": needs_answer}


def article_report(article: Article) -> dict[str, Any]:
    return {"id": article.id, "title": article.title, "lang": article.lang, "questions": len(article.questions)}
