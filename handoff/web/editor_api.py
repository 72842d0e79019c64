"""Content team routes: the draft workspace, checks, publishing, versions, rollback, preview, and
what customers asked that the bot could not answer. Editors only (the `editor` role).

The work is in knowledge/publishing/workspace.py (synchronous, CPU heavy: run in worker threads) and
knowledge/publishing/jobs.py (one check, publish or rollback at a time); the status codes are chosen here.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from pydantic import BaseModel, Field

from handoff.agents import close_session
from knowledge.publishing.jobs import ContentJobs, JobBusy
from handoff.web.dependencies import SESSION_COOKIE, CurrentEditor, RedisClient, session_token
from knowledge.publishing.workspace import (
    ClusterGone,
    ContentTeam,
    DraftError,
    DraftFile,
    DraftNotFound,
    DraftTooLarge,
    Problem,
    PublishOutcome,
)
from knowledge.publishing.preview import PreviewResult
from knowledge.publishing.publish import PublishResult, live_version, rollback, versions
from knowledge.unanswered.stream import Cluster
from knowledge.index.versions import VersionInfo

router = APIRouter(prefix="/api/editor", tags=["content team"])

FileName = Path(min_length=1, max_length=120)
ClusterKey = Path(pattern=r"^\d+-\d+$")


def content_team(request: Request) -> ContentTeam:
    return request.app.state.content_team


def _jobs(request: Request) -> ContentJobs:
    return request.app.state.content_jobs


Team = Annotated[ContentTeam, Depends(content_team)]
Jobs = Annotated[ContentJobs, Depends(_jobs)]


class PublishRequest(BaseModel):
    confirm: bool = Field(default=False, description="publish although some question variants would break")


class RollbackRequest(BaseModel):
    version: int = Field(ge=1)


class PreviewRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    lang: str | None = Field(default=None, pattern=r"^[a-z]{2}$")
    against: str = Field(default="draft", pattern=r"^(draft|live)$")


class ClusterDraftRequest(BaseModel):
    title: str | None = Field(default=None, max_length=200)


class ClusterVariantsRequest(BaseModel):
    article: str = Field(min_length=1, max_length=300)


def _http_error(error: DraftError) -> HTTPException:
    if isinstance(error, DraftTooLarge):
        return HTTPException(413, str(error))
    if isinstance(error, (DraftNotFound, ClusterGone)):
        return HTTPException(404, str(error))
    return HTTPException(422, str(error))


def _problem(problem: Problem) -> dict[str, Any]:
    return {**asdict(problem), "text": problem.text}


def _file(draft: DraftFile) -> dict[str, Any]:
    return {**asdict(draft), "problems": [_problem(p) for p in draft.problems]}


def _version(info: VersionInfo) -> dict[str, Any]:
    return {**asdict(info), "kind": info.kind.value, "label": info.label}


def _result(result: PublishResult, problems: list[Problem]) -> dict[str, Any]:
    return {
        "diff": asdict(result.diff),
        "problems": [_problem(p) for p in problems],
        "kept": result.kept,
        "regressions": [{**asdict(r), "kind": r.kind.value, "text": str(r)} for r in result.regressions],
        "misses": [{**asdict(m), "text": str(m)} for m in result.misses],
        "duplicates": [{**asdict(d), "kind": d.kind.value, "text": str(d)} for d in result.duplicates],
        "base": result.base,
        "version": _version(result.version) if result.version else None,
        "dry_run": result.dry_run,
        "blocked": result.blocked,
        "published": result.published,
        "texts_embedded": result.texts_embedded,
        "seconds": round(result.seconds, 1),
    }


def _outcome(outcome: PublishOutcome) -> dict[str, Any]:
    return {**_result(outcome.result, outcome.problems), "published_files": outcome.published_files,
            "handled_questions": outcome.handled_events}


def _preview(result: PreviewResult, problems: list[Problem]) -> dict[str, Any]:
    return {
        "question": result.question, "lang": result.lang, "outcome": result.outcome, "reason": result.reason,
        "article": result.article, "title": result.title, "confidence": result.confidence, "text": result.text,
        "runners_up": [asdict(s) for s in result.runners_up], "knowledge_base": result.knowledge_base,
        "problems": [_problem(p) for p in problems],
    }


def _cluster(cluster: Cluster) -> dict[str, Any]:
    fields = asdict(cluster)
    fields.pop("event_ids")
    return fields


async def _start(jobs: ContentJobs, kind: str, editor: str, work: Any) -> dict[str, Any]:
    try:
        job = await jobs.start(kind, editor, work)
    except JobBusy as error:
        raise HTTPException(409, str(error)) from None
    return job.public()


# ---------------------------------------------------------------- account


@router.get("/me")
async def me(editor: CurrentEditor) -> dict[str, Any]:
    return {**editor.public(), "roles": list(editor.roles)}


@router.post("/logout", status_code=204)
async def logout(request: Request, response: Response, redis: RedisClient, editor: CurrentEditor) -> None:
    await close_session(redis, session_token(request))
    response.delete_cookie(SESSION_COOKIE)


# ---------------------------------------------------------------- the draft's files


@router.get("/drafts")
async def draft_files(editor: CurrentEditor, team: Team) -> list[dict[str, Any]]:
    """Files waiting to be published, each with the articles it makes and what is wrong with it."""
    return [_file(f) for f in await anyio.to_thread.run_sync(team.workspace.files)]


@router.put("/drafts/{name}", status_code=201)
async def upload_draft(request: Request, editor: CurrentEditor, team: Team, name: str = FileName) -> dict[str, Any]:
    """Store a file as the request body (Markdown, HTML, PDF or CSV); replaces a file of that name.
    Saved even when the loader finds something wrong: the problems come back, file and line or row."""
    try:
        team.workspace.path_of(name)
    except DraftError as error:
        raise _http_error(error) from None
    limit = team.workspace.max_bytes
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > limit:
            raise HTTPException(413, f"{name}: is over {limit:,} bytes: split it into smaller files")
    try:
        return _file(await anyio.to_thread.run_sync(team.workspace.save, name, bytes(data)))
    except DraftError as error:
        raise _http_error(error) from None


@router.get("/drafts/{name}")
async def draft_text(editor: CurrentEditor, team: Team, name: str = FileName) -> dict[str, Any]:
    """A text file's content, to edit in the page."""
    try:
        return {"name": name, "text": await anyio.to_thread.run_sync(team.workspace.read_text, name)}
    except DraftError as error:
        raise _http_error(error) from None


@router.delete("/drafts/{name}", status_code=204)
async def remove_draft(editor: CurrentEditor, team: Team, name: str = FileName) -> None:
    try:
        await anyio.to_thread.run_sync(team.workspace.remove, name)
    except DraftError as error:
        raise _http_error(error) from None


# ---------------------------------------------------------------- check, publish, versions, rollback


@router.post("/check", status_code=202)
async def check(editor: CurrentEditor, team: Team, jobs: Jobs) -> dict[str, Any]:
    """A dry run of publishing the draft (a job: poll /jobs/{id}): what would be added, changed,
    removed; problems; variants that would break; near-duplicates."""
    return await _start(jobs, "check", editor.username, lambda: _outcome(team.check()))


@router.post("/publish", status_code=202)
async def publish(body: PublishRequest, editor: CurrentEditor, team: Team, jobs: Jobs) -> dict[str, Any]:
    """Publish the draft as a new version (a job). Blocked, with the list, when some question variant
    would break, unless `confirm`. 409 while another check, publish or rollback runs."""
    return await _start(jobs, "publish", editor.username, lambda: _outcome(team.publish(editor.username, body.confirm)))


@router.get("/jobs/{job_id}")
async def job(editor: CurrentEditor, jobs: Jobs, job_id: str = Path(pattern=r"^[0-9a-f]{16}$")) -> dict[str, Any]:
    found = await jobs.get(job_id)
    if found is None:
        raise HTTPException(404, "unknown job (jobs are kept for an hour)")
    return found.public()


@router.get("/versions")
async def version_list(editor: CurrentEditor, team: Team) -> dict[str, Any]:
    """Every version, newest first: who, when, what changed; and the one the bot answers from."""
    listed = await anyio.to_thread.run_sync(lambda: versions(team.settings, team.client))
    head = await anyio.to_thread.run_sync(lambda: live_version(team.settings, team.client))
    return {"live": head, "versions": [_version(v) for v in listed]}


@router.post("/rollback", status_code=202)
async def roll_back(body: RollbackRequest, editor: CurrentEditor, team: Team, jobs: Jobs) -> dict[str, Any]:
    """Make an earlier version live again, as a new version (a job)."""
    known = await anyio.to_thread.run_sync(lambda: {v.number for v in versions(team.settings, team.client)})
    if body.version not in known:
        raise HTTPException(404, f"there is no version v{body.version}")

    def work() -> dict[str, Any]:
        return _result(rollback(body.version, author=editor.username, settings=team.settings, client=team.client), [])

    return await _start(jobs, "rollback", editor.username, work)


# ---------------------------------------------------------------- preview


@router.post("/preview")
async def preview(body: PreviewRequest, editor: CurrentEditor, team: Team) -> dict[str, Any]:
    """What the bot would do with a question: against the draft (as publishing it would make the
    knowledge base) or the live version. The first preview of a changed draft calibrates it (seconds)."""
    result, problems = await anyio.to_thread.run_sync(team.preview, body.question, body.lang, body.against == "draft")
    return _preview(result, problems)


@router.get("/articles")
async def live_articles(editor: CurrentEditor, team: Team) -> list[dict[str, Any]]:
    """The published articles (id, title, language), to add questions to."""
    articles = await anyio.to_thread.run_sync(team.live_articles)
    return [{"id": a.id, "title": a.title, "lang": a.lang, "questions": len(a.questions)}
            for a in sorted(articles.values(), key=lambda a: a.id)]


# ---------------------------------------------------------------- what customers asked that the bot could not answer


@router.get("/unanswered")
async def unanswered(editor: CurrentEditor, team: Team) -> list[dict[str, Any]]:
    """Declined and escalated questions, unhelpful answers and agents' suggestions, in clusters of
    similar questions (count, language, examples), newest first."""
    return [_cluster(c) for c in await anyio.to_thread.run_sync(team.clusters)]


@router.post("/unanswered/{key}/draft", status_code=201)
async def cluster_to_draft(body: ClusterDraftRequest, editor: CurrentEditor, team: Team, key: str = ClusterKey) -> dict[str, Any]:
    """A new article draft from the cluster (Markdown, into the draft): its questions as variants, an
    agent's suggested reply as the answer, or a placeholder to replace before publishing."""
    try:
        written, draft = await anyio.to_thread.run_sync(team.draft_from_cluster, key, body.title)
    except DraftError as error:
        raise _http_error(error) from None
    return {"file": _file(written), "article": draft.article_id, "needs_answer": draft.needs_answer}


@router.post("/unanswered/{key}/variants", status_code=201)
async def cluster_to_variants(body: ClusterVariantsRequest, editor: CurrentEditor, team: Team,
                              key: str = ClusterKey) -> dict[str, Any]:
    """The article with the cluster's questions added as variants, into the draft."""
    try:
        written, draft = await anyio.to_thread.run_sync(team.add_cluster_to_article, key, body.article)
    except DraftError as error:
        raise _http_error(error) from None
    return {"file": _file(written), "article": draft.article_id, "needs_answer": False}

