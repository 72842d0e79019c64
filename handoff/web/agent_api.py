"""Agent routes: log in, the queue, claim, talk, transfer, hand back, close; events pushed live.
Each transition is one atomic step in Redis; the status codes are chosen here."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

import anyio
from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field

from handoff import tickets
from handoff.conversations import FOR_AGENTS_ONLY
from handoff.safeguards.erasure import forget
from handoff.agents import get_agent, mark_present, online_agents, open_session, verify_password
from handoff.safeguards.login_guard import LoginGuard
from handoff.ownership import Resolution, TransitionConflict
from handoff.rasa_client import RasaUnavailable
from handoff.web.dependencies import (
    SESSION_COOKIE,
    ClientAddress,
    CurrentAgent,
    CurrentSupervisor,
    Hub,
    KnownConversation,
    LastEventId,
    RedisClient,
    Relay,
    Settings,
    Store,
    StreamId,
    Team,
    client_address,
    end_session,
)
from handoff.web.errors import declared
from handoff.web.live import conversation_events, queue_events
from handoff.web.same_origin import same_origin_changes
from knowledge.sources.identity import guess_language
from knowledge.unanswered.events import suggest_article_from_agent_reply

# Every route: a session (401), the right role and, for a change with the cookie, the app's own origin (403),
# Redis reachable (503).
router = APIRouter(prefix="/api/agent", tags=["agent"], dependencies=[Depends(same_origin_changes)],
                   responses=declared(401, 403, 503))
# A transition of a chat: unknown (404), or someone else acted first (409).
TRANSITION = (404, 409)


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Session(BaseModel):
    token: str
    agent: dict[str, Any]


class AgentText(BaseModel):
    text: str = Field(min_length=1)
    # The console says so when the agent sent (or edited) a suggested answer: the insights count them.
    from_suggestion: bool = False


class ArticleSuggestion(BaseModel):
    reply: str = Field(min_length=1, max_length=20_000, description="the answer the agent wrote")
    question: str | None = Field(default=None, max_length=2000,
                                 description="the customer's question; default: their last message")


class TransferRequest(BaseModel):
    to: str | None = Field(default=None, description="username of the agent to transfer to; null puts the chat back in the queue")


class CloseRequest(BaseModel):
    resolution: Resolution


class ErasureRequest(BaseModel):
    who: str = Field(min_length=1, max_length=256, description="a conversation id, an email address, a phone number or a verified customer id")


class TransitionResult(BaseModel):
    status: str  # "ok", or "noop" when it had already happened
    message_id: str | None = None


@contextmanager
def _transition(done: str = "done") -> Iterator[None]:
    """409 when someone else acted first; 502 when the transition happened (`done`) but Rasa's
    tracker could not be told."""
    try:
        yield
    except TransitionConflict as error:
        raise HTTPException(409, str(error)) from None
    except RasaUnavailable as error:
        raise HTTPException(502, f"{done}, but the bot's tracker was not updated: {error}") from error


@router.post("/login", responses=declared(400, 429))
async def login(
    credentials: Credentials, response: Response, redis: RedisClient, settings: Settings, address: ClientAddress,
) -> Session:
    guard = LoginGuard(redis, settings.login_max_failures, settings.login_failure_window_s)
    wait_s = await guard.retry_after_s(credentials.username, address)
    if wait_s:
        raise HTTPException(429, f"too many failed logins: try again in {wait_s} s", headers={"Retry-After": str(wait_s)})
    agent = await verify_password(redis, credentials.username, credentials.password)
    if agent is None:
        await guard.failed(credentials.username, address)
        raise HTTPException(401, "unknown username or wrong password")
    await guard.succeeded(agent.username)
    token = await open_session(redis, agent.username, settings.agent_session_ttl_s)
    if agent.has_role("agent"):  # an editor-only account is no advisor online
        await mark_present(redis, agent.username)
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.agent_session_ttl_s, httponly=True, samesite="strict",
                        secure=settings.secure_cookies)
    return Session(token=token, agent=agent.public())


@router.post("/logout", status_code=204)
async def logout(request: Request, response: Response, agent: CurrentAgent) -> None:
    await end_session(request, response)


@router.get("/me")
async def me(agent: CurrentAgent) -> dict[str, Any]:
    return agent.public()


@router.get("/agents")
async def agents_online(agent: CurrentAgent, redis: RedisClient, settings: Settings) -> list[dict[str, Any]]:
    """Who is online, to transfer a chat to."""
    return [a.public() for a in await online_agents(redis, None, settings.presence_window_s)]


@router.get("/queue")
async def waiting_chats(agent: CurrentAgent, store: Store) -> list[dict[str, Any]]:
    """Chats waiting in the agent's languages, in the order they will be served."""
    return [asdict(entry) for entry in await store.queue(agent.languages)]


@router.post("/queue/next", responses={204: {"description": "no chat is waiting in the agent's languages"}})
async def claim_next(agent: CurrentAgent, store: Store, response: Response) -> dict[str, str | None]:
    conversation_id = await store.claim_next(agent)
    if conversation_id is None:
        response.status_code = 204
    return {"conversation_id": conversation_id}


@router.post("/conversations/{conversation_id}/claim", responses=declared(*TRANSITION))
async def claim(agent: CurrentAgent, store: Store, conversation_id: KnownConversation) -> TransitionResult:
    with _transition():
        return TransitionResult(status=await store.claim(conversation_id, agent))


@router.get("/conversations/{conversation_id}", responses=declared(404))
async def handoff_package(agent: CurrentAgent, store: Store, conversation_id: KnownConversation) -> dict[str, Any]:
    """What the agent needs to take over: the hand-over summary first (null until written), status,
    reason, language, what the bot retrieved and how sure it was, the transcript so far, and
    suggested answers for the customer's messages."""
    messages = await store.messages(conversation_id)
    suggestions = [m for m in messages if m.kind == "suggestions"]
    summaries = [m for m in messages if m.kind == "summary"]
    return {
        "summary": json.loads(summaries[-1].details["summary"]) if summaries else None,
        "status": asdict(await store.status(conversation_id)),
        "bot": await store.package(conversation_id),
        "transcript": [m.public() for m in messages if m.kind not in FOR_AGENTS_ONLY],
        "suggestions": suggestions[-1].public() if suggestions else None,
    }


@router.get("/conversations/{conversation_id}/events", response_class=EventSourceResponse, responses=declared(404))
async def conversation_live(
    agent: CurrentAgent, store: Store, hub: Hub, conversation_id: KnownConversation, after: str = StreamId,
    last_event_id: str | None = LastEventId,
) -> AsyncIterator[ServerSentEvent]:
    async for event in conversation_events(hub, store, conversation_id, last_event_id or after, for_customer=False):
        yield event


@router.post("/conversations/{conversation_id}/messages", responses=declared(400, *TRANSITION, 413))
async def send(body: AgentText, agent: CurrentAgent, store: Store, settings: Settings,
               conversation_id: KnownConversation) -> TransitionResult:
    if len(body.text) > settings.max_message_chars:
        raise HTTPException(413, f"message too long: {settings.max_message_chars} characters at most")
    if not body.text.strip():
        raise HTTPException(422, "message is empty")
    with _transition():
        return TransitionResult(status="ok", message_id=await store.agent_message(
            conversation_id, agent, body.text, used_suggestion=body.from_suggestion))


@router.post("/conversations/{conversation_id}/suggest-article", status_code=201, responses=declared(400, 404))
async def suggest_article(body: ArticleSuggestion, agent: CurrentAgent, store: Store, team: Team,
                          conversation_id: KnownConversation) -> dict[str, str]:
    """Send a reply the agent wrote, with the customer's question, to the content team's list of
    unanswered questions, as a suggested article."""
    question = body.question
    if not question or not question.strip():
        asked = [m.text for m in await store.messages(conversation_id)
                 if m.kind == "customer" and m.text.strip() and not m.text.startswith("/")]  # not a button payload
        if not asked:
            raise HTTPException(422, "the customer has not asked anything yet: give the question")
        question = asked[-1]
    if not body.reply.strip():
        raise HTTPException(422, "the reply is empty")
    lang = (await store.status(conversation_id)).lang or guess_language(question) or "en"
    event_id = await anyio.to_thread.run_sync(
        suggest_article_from_agent_reply, team.unanswered(), question, body.reply, lang, agent.username, conversation_id)
    return {"status": "ok", "id": event_id or "", "question": question}


@router.post("/conversations/{conversation_id}/typing", status_code=204, responses=declared(404))
async def agent_typing(agent: CurrentAgent, store: Store, conversation_id: KnownConversation) -> None:
    await store.typing(conversation_id, "agent", agent.display_name)


@router.post("/conversations/{conversation_id}/transfer", responses=declared(400, *TRANSITION))
async def transfer(body: TransferRequest, agent: CurrentAgent, store: Store, redis: RedisClient,
                   conversation_id: KnownConversation) -> TransitionResult:
    target = None
    if body.to is not None:
        target = await get_agent(redis, body.to)
        if target is None:
            raise HTTPException(404, f"no agent {body.to!r}")
    with _transition():
        return TransitionResult(status=await store.transfer(conversation_id, agent, target))


@router.post("/conversations/{conversation_id}/hand-back", responses=declared(*TRANSITION, 502))
async def hand_back(agent: CurrentAgent, relay: Relay, conversation_id: KnownConversation) -> TransitionResult:
    # On a 502 the bot owns the chat again; only its record of the agent's turns is missing.
    with _transition("handed back"):
        return TransitionResult(status=await relay.hand_back(conversation_id, agent))


@router.post("/conversations/{conversation_id}/close", responses=declared(400, *TRANSITION, 502))
async def close(body: CloseRequest, agent: CurrentAgent, relay: Relay, conversation_id: KnownConversation) -> TransitionResult:
    with _transition("closed"):
        return TransitionResult(status=await relay.close(conversation_id, agent, body.resolution.value))


@router.get("/events", response_class=EventSourceResponse)
async def live_queue(agent: CurrentAgent, store: Store, hub: Hub,
                     last_event_id: str | None = LastEventId) -> AsyncIterator[ServerSentEvent]:
    """Queue and ownership changes (queued, agent_joined, transferred, requeued, handed_back, closed,
    no_agent, ticket_filed). Keeping this stream open is what makes the agent count as online."""
    async for event in queue_events(hub, store, agent.username, last_event_id):
        yield event


@router.get("/tickets")
async def open_tickets(agent: CurrentAgent, redis: RedisClient, store: Store) -> list[dict[str, Any]]:
    """Tickets filed while no agent could take the chat, oldest first, with the customer's messages."""
    result = []
    for ticket in await tickets.open_tickets(redis):
        messages = await store.messages(ticket.conversation_id)
        result.append({**ticket.public(), "transcript": [m.public() for m in messages if m.kind not in FOR_AGENTS_ONLY]})
    return result


@router.post("/tickets/{ticket_id}/done", responses=declared(404))
async def ticket_done(agent: CurrentAgent, redis: RedisClient, settings: Settings,
                      ticket_id: str = Path(pattern=r"^T\d+$")) -> TransitionResult:
    if await tickets.get_ticket(redis, ticket_id) is None:
        raise HTTPException(404, "unknown ticket")
    resolved = await tickets.resolve_ticket(redis, ticket_id, agent.username, settings.ticket_retention_s)
    return TransitionResult(status="ok" if resolved else "noop")


@router.post("/forget", responses=declared(400))
async def forget_customer(body: ErasureRequest, supervisor: CurrentSupervisor, redis: RedisClient) -> dict[str, object]:
    """Erase a customer's data in every store (supervisors only): what was erased, per store.
    Idempotent: asking again erases nothing more."""
    if not body.who.strip():
        raise HTTPException(422, "say whom to forget")
    return (await forget(redis, body.who)).public()
