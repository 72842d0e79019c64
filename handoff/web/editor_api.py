"""Content team routes: the draft workspace, checks, publishing, versions, rollback, preview, and
what customers asked that the bot could not answer. Editors only (the `editor` role).

The files of the draft workspace and the versions are read and written here (I/O only); whatever
needs the embedding model is a job the content worker runs (knowledge/publishing/jobs.py): check,
publish and rollback one at a time (the page polls them), the others while the request waits.
The status codes are chosen here.
"""
from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from pydantic import BaseModel, Field

from handoff.web.dependencies import CurrentEditor, Team, end_session
from handoff.web.errors import RETRY_LATER, declared
from handoff.web.same_origin import same_origin_changes
from knowledge.publishing.jobs import JobBusy, JobFailed, WorkerUnavailable
from knowledge.publishing.reports import file_report, version_report
from knowledge.publishing.workspace import ClusterGone, FileTooLarge, NotFound, WorkspaceError

router = APIRouter(prefix="/api/editor", tags=["content team"], dependencies=[Depends(same_origin_changes)],
                   responses=declared(401, 403, 503))
# What a refused workspace change or quick job answers (_http_error; 422 besides, which FastAPI declares).
WORKSPACE_ERRORS = (404, 413)
# An upload is the file itself as the request body, read as it streams in (so not a parameter FastAPI sees).
UPLOAD_BODY = {"requestBody": {"required": True, "content": {
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}

FileName = Path(min_length=1, max_length=120)
ClusterKey = Path(pattern=r"^\d+-\d+$")


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


def _http_error(error: WorkspaceError) -> HTTPException:
    if isinstance(error, FileTooLarge):
        return HTTPException(413, str(error))
    if isinstance(error, (NotFound, ClusterGone)):
        return HTTPException(404, str(error))
    return HTTPException(422, str(error))


async def _start(team: Team, kind: str, editor: str, **arguments: Any) -> dict[str, Any]:
    try:
        job = await team.jobs.start(kind, editor, **arguments)
    except JobBusy as error:
        raise HTTPException(409, str(error)) from None
    return job.public()


async def _ask(team: Team, kind: str, **arguments: Any) -> Any:
    """A quick job's answer from the content worker."""
    try:
        return await team.ask(kind, **arguments)
    except WorkspaceError as error:
        raise _http_error(error) from None
    except WorkerUnavailable as error:
        raise HTTPException(503, str(error), headers=RETRY_LATER) from None
    except JobFailed as error:
        raise HTTPException(500, str(error)) from None


# ---------------------------------------------------------------- account


@router.get("/me")
async def me(editor: CurrentEditor) -> dict[str, Any]:
    return {**editor.public(), "roles": list(editor.roles)}


@router.post("/logout", status_code=204)
async def logout(request: Request, response: Response, editor: CurrentEditor) -> None:
    await end_session(request, response)


# ---------------------------------------------------------------- the draft workspace's files


@router.get("/drafts")
async def workspace_files(editor: CurrentEditor, team: Team) -> list[dict[str, Any]]:
    """Files waiting to be published, each with the articles it makes and what is wrong with it."""
    return [file_report(f) for f in await anyio.to_thread.run_sync(team.workspace.files)]


@router.put("/drafts/{name}", status_code=201, responses=declared(*WORKSPACE_ERRORS), openapi_extra=UPLOAD_BODY)
async def upload_file(request: Request, editor: CurrentEditor, team: Team, name: str = FileName) -> dict[str, Any]:
    """Store a file as the request body (Markdown, HTML, PDF or CSV); replaces a file of that name.
    Saved even when the loader finds something wrong: the problems come back, file and line or row."""
    try:
        team.workspace.path_of(name)
    except WorkspaceError as error:
        raise _http_error(error) from None
    limit = team.workspace.max_bytes
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > limit:
            raise HTTPException(413, f"{name}: is over {limit:,} bytes: split it into smaller files")
    try:
        return file_report(await anyio.to_thread.run_sync(team.workspace.save, name, bytes(data)))
    except WorkspaceError as error:
        raise _http_error(error) from None


@router.get("/drafts/{name}", responses=declared(*WORKSPACE_ERRORS))
async def file_text(editor: CurrentEditor, team: Team, name: str = FileName) -> dict[str, Any]:
    """A text file's content, to edit in the page."""
    try:
        return {"name": name, "text": await anyio.to_thread.run_sync(team.workspace.read_text, name)}
    except WorkspaceError as error:
        raise _http_error(error) from None


@router.delete("/drafts/{name}", status_code=204, responses=declared(*WORKSPACE_ERRORS))
async def remove_file(editor: CurrentEditor, team: Team, name: str = FileName) -> None:
    try:
        await anyio.to_thread.run_sync(team.workspace.remove, name)
    except WorkspaceError as error:
        raise _http_error(error) from None


# ---------------------------------------------------------------- check, publish, versions, rollback


@router.post("/check", status_code=202, responses=declared(409))
async def check(editor: CurrentEditor, team: Team) -> dict[str, Any]:
    """A dry run of publishing the workspace (a job: poll /jobs/{id}): what would be added, changed,
    removed; problems; variants that would break; near-duplicates."""
    return await _start(team, "check", editor.username)


@router.post("/publish", status_code=202, responses=declared(400, 409))
async def publish(body: PublishRequest, editor: CurrentEditor, team: Team) -> dict[str, Any]:
    """Publish the workspace as a new version (a job). Blocked, with the list, when some question variant
    would break, unless `confirm`. 409 while another check, publish or rollback is queued or runs."""
    return await _start(team, "publish", editor.username, author=editor.username, confirm=body.confirm)


@router.get("/jobs/{job_id}", responses=declared(404))
async def job(editor: CurrentEditor, team: Team, job_id: str = Path(pattern=r"^[0-9a-f]{16}$")) -> dict[str, Any]:
    found = await team.jobs.get(job_id)
    if found is None:
        raise HTTPException(404, "unknown job (jobs are kept for an hour)")
    return found.public()


@router.get("/versions")
async def version_list(editor: CurrentEditor, team: Team) -> dict[str, Any]:
    """Every version, newest first: who, when, what changed; and the one the bot answers from."""
    listed = await anyio.to_thread.run_sync(team.versions)
    head = await anyio.to_thread.run_sync(team.live_version)
    return {"live": head, "versions": [version_report(v) for v in listed]}


@router.get("/live")
async def live(editor: CurrentEditor, team: Team) -> dict[str, Any]:
    """The live version and whether the bot answers from it yet: `ready` (every running action server
    does), `loading` (one still answers from an earlier version: seconds), `unknown` (none reported)."""
    number, state = await anyio.to_thread.run_sync(team.bot_state)
    return {"live": number, "bot": state.value}


@router.post("/rollback", status_code=202, responses=declared(400, 404, 409))
async def roll_back(body: RollbackRequest, editor: CurrentEditor, team: Team) -> dict[str, Any]:
    """Make an earlier version live again, as a new version (a job)."""
    known = {v.number for v in await anyio.to_thread.run_sync(team.versions)}
    if body.version not in known:
        raise HTTPException(404, f"there is no version v{body.version}")
    return await _start(team, "rollback", editor.username, author=editor.username, version=body.version)


# ---------------------------------------------------------------- preview


@router.post("/preview", responses=declared(400, *WORKSPACE_ERRORS))
async def preview(body: PreviewRequest, editor: CurrentEditor, team: Team) -> dict[str, Any]:
    """What the bot would do with a question: against the draft (as publishing the workspace would make
    the knowledge base) or the live version. The first preview of a changed draft calibrates it (seconds)."""
    return await _ask(team, "preview", question=body.question, lang=body.lang, against=body.against)


@router.get("/articles", responses=declared(*WORKSPACE_ERRORS, 422))
async def live_articles(editor: CurrentEditor, team: Team) -> list[dict[str, Any]]:
    """The published articles (id, title, language), to add questions to."""
    return await _ask(team, "live_articles")


# ---------------------------------------------------------------- what customers asked that the bot could not answer


@router.get("/unanswered", responses=declared(*WORKSPACE_ERRORS, 422))
async def unanswered(editor: CurrentEditor, team: Team) -> list[dict[str, Any]]:
    """Declined and escalated questions, unhelpful answers and agents' suggestions, in clusters of
    similar questions (count, language, examples), newest first."""
    return await _ask(team, "clusters")


@router.post("/unanswered/{key}/draft", status_code=201, responses=declared(400, *WORKSPACE_ERRORS))
async def cluster_to_article(body: ClusterDraftRequest, editor: CurrentEditor, team: Team,
                             key: str = ClusterKey) -> dict[str, Any]:
    """A new article from the cluster (Markdown, into the workspace): its questions as variants, an
    agent's suggested reply as the answer, or a placeholder to replace before publishing."""
    return await _ask(team, "article_from_cluster", key=key, title=body.title)


@router.post("/unanswered/{key}/variants", status_code=201, responses=declared(400, *WORKSPACE_ERRORS))
async def cluster_to_variants(body: ClusterVariantsRequest, editor: CurrentEditor, team: Team,
                              key: str = ClusterKey) -> dict[str, Any]:
    """The article with the cluster's questions added as variants, into the workspace."""
    return await _ask(team, "add_cluster_to_article", key=key, article=body.article)
