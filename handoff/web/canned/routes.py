"""Canned replies over HTTP: editors list, create, change and remove them (`/api/editor/canned`);
advisors list their team's for a conversation's language and get one filled for that conversation
(`/api/agent/conversations/{id}/canned`). The status codes are chosen here."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

from handoff.agents import DEFAULT_TEAM, TEAM_PATTERN
from handoff.canned.filling import filled
from handoff.canned.replies import (
    ID_PATTERN, SHORTCUT_PATTERN, Busy, CannedDraft, CannedLang, CannedReplies, CannedReplyGone, ShortcutTaken,
    UnknownVariables,
)
from handoff.canned.variables import described
from handoff.ownership import UnknownConversation
from handoff.web.dependencies import CurrentAgent, CurrentEditor, KnownConversation, RedisClient, Store
from handoff.web.errors import declared
from handoff.web.same_origin import same_origin_changes

ReplyId = Path(pattern=ID_PATTERN, description="a canned reply's id")
Search = Query(default="", max_length=100, description="words of the shortcut, title or text; a leading / is ignored")
MAX_TEXT_CHARS = 2000

editor_router = APIRouter(prefix="/api/editor/canned", tags=["content team"], dependencies=[Depends(same_origin_changes)],
                          responses=declared(401, 403, 503))
agent_router = APIRouter(prefix="/api/agent/conversations/{conversation_id}/canned", tags=["agent"],
                         dependencies=[Depends(same_origin_changes)], responses=declared(401, 403, 404, 503))
router = APIRouter()


class CannedReplyBody(BaseModel):
    team: str = Field(default=DEFAULT_TEAM, pattern=TEAM_PATTERN, description="whose advisors see it")
    lang: CannedLang
    shortcut: str = Field(pattern=SHORTCUT_PATTERN, description='what advisors type after "/" (refund, mot-de-passe)')
    title: str = Field(min_length=1, max_length=120)
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS,
                      description="variables: {agent_name}, {ticket_number}, {article_link}, {article_title}")

    def draft(self) -> CannedDraft:
        if not self.title.strip() or not self.text.strip():
            raise HTTPException(422, "the title and the text must say something")
        return CannedDraft(self.team, self.lang, self.shortcut, self.title, self.text)


async def _saved(saving: Any) -> dict[str, object]:
    try:
        return (await saving).public()
    except UnknownVariables as error:
        raise HTTPException(400, str(error)) from None
    except CannedReplyGone as error:
        raise HTTPException(404, str(error)) from None
    except (ShortcutTaken, Busy) as error:
        raise HTTPException(409, str(error)) from None


# ---------------------------------------------------------------- editors


@editor_router.get("")
async def all_canned_replies(editor: CurrentEditor, redis: RedisClient,
                             team: str | None = Query(default=None, pattern=TEAM_PATTERN),
                             lang: CannedLang | None = None, q: str = Search) -> list[dict[str, object]]:
    """Every team's canned replies (or one team's, one language's), found by `q`."""
    langs = (lang.value,) if lang else None
    return [reply.public() for reply in await CannedReplies(redis).search(team, langs, q)]


@editor_router.get("/variables")
async def canned_variables(editor: CurrentEditor) -> list[dict[str, str]]:
    """The variables a canned reply may hold, with what each stands for in English and French."""
    return described()


@editor_router.post("", status_code=201, responses=declared(400, 409))
async def create_canned_reply(body: CannedReplyBody, editor: CurrentEditor, redis: RedisClient) -> dict[str, object]:
    """400 naming the variable when the text holds an unknown `{name}`; 409 when the shortcut already
    names another reply of the team in that language."""
    return await _saved(CannedReplies(redis).create(body.draft(), editor.username))


@editor_router.put("/{reply_id}", responses=declared(400, 404, 409))
async def change_canned_reply(body: CannedReplyBody, editor: CurrentEditor, redis: RedisClient,
                              reply_id: str = ReplyId) -> dict[str, object]:
    return await _saved(CannedReplies(redis).update(reply_id, body.draft(), editor.username))


@editor_router.delete("/{reply_id}", status_code=204, responses=declared(404, 409))
async def remove_canned_reply(editor: CurrentEditor, redis: RedisClient, reply_id: str = ReplyId) -> None:
    try:
        removed = await CannedReplies(redis).remove(reply_id)
    except Busy as error:
        raise HTTPException(409, str(error)) from None
    if not removed:
        raise HTTPException(404, f"no canned reply {reply_id}")


# ---------------------------------------------------------------- advisors


@agent_router.get("")
async def canned_replies_for_chat(agent: CurrentAgent, store: Store, redis: RedisClient,
                                  conversation_id: KnownConversation, q: str = Search) -> list[dict[str, object]]:
    """The advisor's team's canned replies in the conversation's language (in the advisor's languages
    while it has none), found by `q`: shortcuts starting with it first, then titles holding it."""
    try:
        lang = (await store.status(conversation_id)).lang
    except UnknownConversation:
        raise HTTPException(404, "unknown conversation") from None
    langs = (lang,) if lang else agent.languages
    return [reply.public() for reply in await CannedReplies(redis).search(agent.team, langs, q)]


@agent_router.get("/{reply_id}")
async def filled_canned_reply(request: Request, agent: CurrentAgent, store: Store, redis: RedisClient,
                              conversation_id: KnownConversation, reply_id: str = ReplyId) -> dict[str, object]:
    """The reply's text with its variables filled for this conversation and advisor, to put in the
    reply box; `unfilled` names the variables without a value here, left as written."""
    reply = await CannedReplies(redis).get(reply_id)
    if reply is None or reply.team != agent.team:
        raise HTTPException(404, f"no canned reply {reply_id} for team {agent.team}")
    return (await filled(reply, store, conversation_id, agent, str(request.base_url))).public()


router.include_router(editor_router)
router.include_router(agent_router)
