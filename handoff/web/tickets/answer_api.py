"""Agent routes to answer a ticket: read it with its history, reply by email (SMTP), send a failed
email again, note a phone call back. The ticket's list and "done" are in handoff/web/agent_api.py."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path
from pydantic import BaseModel, Field

from handoff import tickets
from handoff.conversations import FOR_AGENTS_ONLY
from handoff.ticket_replies import history
from handoff.ticket_replies.answering import DeliveryFailed, TicketAnswers, WrongChannel, channel_of, email_configured
from handoff.ticket_replies.mailer import MailNotConfigured, NotAnEmailAddress
from handoff.web.dependencies import CurrentAgent, RedisClient, Settings, Store
from handoff.web.errors import declared
from handoff.web.same_origin import same_origin_changes

router = APIRouter(prefix="/api/agent/tickets", tags=["agent"], dependencies=[Depends(same_origin_changes)],
                   responses=declared(401, 403, 503))
TicketId = Path(pattern=r"^T\d{1,12}$")
ReplyId = Path(pattern=r"^R\d{1,12}$")


class EmailReply(BaseModel):
    text: str = Field(min_length=1, description="what the agent writes; the email adds greeting and signature")


class CallBack(BaseModel):
    note: str = Field(min_length=1, description="what was said on the phone")
    done: bool = Field(default=False, description="also mark the ticket as done")


async def _known_ticket(redis: RedisClient, ticket_id: str = TicketId) -> tickets.Ticket:
    ticket = await tickets.get_ticket(redis, ticket_id)
    if ticket is None:
        raise HTTPException(404, "unknown ticket")
    return ticket


KnownTicket = Annotated[tickets.Ticket, Depends(_known_ticket)]


def _answers(redis: RedisClient, settings: Settings) -> TicketAnswers:
    return TicketAnswers(redis, settings)


Answers = Annotated[TicketAnswers, Depends(_answers)]


def _checked_text(text: str, settings: Settings) -> str:
    if len(text) > settings.ticket_reply_max_chars:
        raise HTTPException(413, f"too long: {settings.ticket_reply_max_chars} characters at most")
    if not text.strip():
        raise HTTPException(422, "the text is empty")
    return text.strip()


@contextmanager
def _refusals() -> Iterator[None]:
    """409 for what this ticket or server cannot do; 502 when the mail server did not take the email
    (the reply is in the history, marked failed)."""
    try:
        yield
    except (WrongChannel, MailNotConfigured, NotAnEmailAddress, history.NotRetriable) as refusal:
        raise HTTPException(409, str(refusal)) from None
    except history.UnknownReply as unknown:
        raise HTTPException(404, str(unknown)) from None
    except DeliveryFailed as failure:
        raise HTTPException(502, str(failure)) from None


@router.get("/{ticket_id}", responses=declared(404))
async def ticket_with_history(agent: CurrentAgent, redis: RedisClient, store: Store, settings: Settings,
                              ticket: KnownTicket) -> dict[str, Any]:
    """The ticket (open or done), how to answer it (`channel`: email or phone; `email_enabled`: whether this
    server can send email), its history (replies and call backs, oldest first) and the conversation's transcript."""
    messages = await store.messages(ticket.conversation_id)
    return {
        **ticket.public(), "channel": channel_of(ticket).value, "email_enabled": email_configured(settings),
        "history": [reply.public() for reply in await history.replies(redis, ticket.ticket_id)],
        "transcript": [m.public() for m in messages if m.kind not in FOR_AGENTS_ONLY],
    }


@router.post("/{ticket_id}/replies", status_code=201, responses=declared(400, 404, 409, 413, 502))
async def reply_by_email(body: EmailReply, agent: CurrentAgent, settings: Settings, answers: Answers,
                         ticket: KnownTicket) -> dict[str, object]:
    """Email the customer (an email ticket): the reply is recorded in the ticket's history, then sent.
    409 when this server has no SMTP_URL/SMTP_FROM or the ticket left a phone number (nothing recorded);
    502 when the mail server did not take it (recorded as failed: retry it)."""
    text = _checked_text(body.text, settings)
    with _refusals():
        return (await answers.email(ticket, agent, text)).public()


@router.post("/{ticket_id}/replies/{reply_id}/retry", responses=declared(404, 409, 502))
async def retry_email(agent: CurrentAgent, answers: Answers, ticket: KnownTicket, reply_id: str = ReplyId) -> dict[str, object]:
    """Send a failed email reply again, as it was written. 409 when it is not a failed email."""
    with _refusals():
        return (await answers.retry(ticket, reply_id)).public()


@router.post("/{ticket_id}/callbacks", status_code=201, responses=declared(400, 404, 409, 413))
async def called_back(body: CallBack, agent: CurrentAgent, settings: Settings, answers: Answers,
                      ticket: KnownTicket) -> dict[str, object]:
    """Note a call back to the customer (a phone ticket) in the ticket's history, and mark it done if asked."""
    note = _checked_text(body.note, settings)
    with _refusals():
        return (await answers.called_back(ticket, agent, note, body.done)).public()
