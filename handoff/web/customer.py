"""Customer routes: a conversation token, messages to the bot or the agent, and the live stream.
The conversation id is the customer's credential: unguessable, and required on every call."""
from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field

from handoff.connection import wait_for_replicas
from handoff.conversations import CUSTOMER_KINDS
from handoff.insights.metrics import TURN_SECONDS
from handoff.ownership import ClientIdReused, UnknownConversation
from handoff.rasa_client import RasaUnavailable
from handoff.relay import CustomerTurn
from handoff.web.dependencies import (
    ClientAddress,
    ConversationId,
    CustomerStreamSlot,
    Hub,
    KnownConversation,
    LastEventId,
    Limiter,
    Relay,
    Settings,
    Store,
    StreamId,
)
from handoff.web.errors import RETRY_SOON, declared
from handoff.web.live import conversation_events
from handoff.web.returning.routes import CustomerIdentity, customer_or_refuse
from knowledge.contract import BotReply

log = logging.getLogger(__name__)

# Redis unreachable: 503 on every route (handoff/web/errors.py).
router = APIRouter(prefix="/api/conversations", tags=["customer"], responses=declared(503))


class NewConversation(BaseModel):
    conversation_id: str


class CustomerMessage(BaseModel):
    text: str = Field(min_length=1)
    lang: str | None = Field(default=None, pattern="^(en|fr)$")
    # Sent again with a retried message, so that a lost response does not duplicate the message.
    client_id: str = Field(default="", max_length=64, description=(
        "the client's id for this message: sending the last message again with the same id and text stores it "
        "once; the same id with another text is refused (409)"))


class CustomerTurnOut(BaseModel):
    owner: str
    message_id: str
    replies: list[BotReply]
    messages: list[dict[str, Any]]

    @classmethod
    def of(cls, turn: CustomerTurn) -> CustomerTurnOut:
        return cls(
            owner=turn.owner.value, message_id=turn.message_id,
            replies=[reply.reply for reply in turn.replies if reply.reply is not None],
            messages=[reply.public() for reply in turn.replies],
        )


@contextmanager
def _turn_with_the_bot(unknown: str) -> Iterator[None]:
    """Rasa or its action server down: 503 with Retry-After, and the customer retries (the message is
    kept; the same client_id does not repeat it). Nothing to answer: 404 saying `unknown`. A client_id
    already used for another text: 409."""
    try:
        yield
    except RasaUnavailable as error:
        raise HTTPException(503, f"the assistant is unavailable, please retry: {error}", headers=RETRY_SOON) from error
    except UnknownConversation:
        raise HTTPException(404, unknown) from None
    except ClientIdReused as error:
        raise HTTPException(409, f"{error}: a new message needs a client_id of its own "
                                 "(the same client_id is for sending the same message again)") from None


def _refuse_when_limited(wait_s: int, what: str) -> None:
    """429 with the seconds to wait (Retry-After), which the widget turns into a sentence."""
    if wait_s:
        raise HTTPException(429, f"too many {what}: please wait {wait_s} s before sending more",
                            headers={"Retry-After": str(wait_s)})


@router.post("", status_code=201, responses=declared(400, 403, 429))
async def start_conversation(store: Store, limiter: Limiter, address: ClientAddress, settings: Settings,
                             identity: CustomerIdentity | None = None) -> NewConversation:
    """A new conversation; with a body, for the site's logged-in customer, whose earlier conversations the
    advisors then see. A user_id whose user_hash does not hold is refused (403) before anything is stored."""
    customer = customer_or_refuse(settings, identity)
    _refuse_when_limited(await limiter.new_conversation(address), "new conversations")
    return NewConversation(conversation_id=await store.create(customer))


@router.get("/{conversation_id}", responses=declared(404))
async def conversation_status(store: Store, conversation_id: str = ConversationId) -> dict[str, Any]:
    try:
        return asdict(await store.status(conversation_id))
    except UnknownConversation:
        raise HTTPException(404, "unknown conversation") from None


@router.post("/{conversation_id}/messages", responses=declared(400, 404, 409, 413, 429))
async def send_message(
    message: CustomerMessage, settings: Settings, relay: Relay, limiter: Limiter, address: ClientAddress,
    conversation_id: str = ConversationId,
) -> CustomerTurnOut:
    if len(message.text) > settings.max_message_chars:
        raise HTTPException(413, f"message too long: {settings.max_message_chars} characters at most")
    if not message.text.strip():
        raise HTTPException(422, "message is empty")
    # Before anything is stored: a refused message is not kept.
    _refuse_when_limited(await limiter.customer_message(conversation_id, address), "messages")
    started = time.perf_counter()
    with _turn_with_the_bot(unknown="unknown conversation"):
        turn = await relay.customer_says(conversation_id, message.text, message.lang, message.client_id)
    if not await wait_for_replicas(relay.store.redis, settings.redis_replica_acks, settings.redis_replica_ack_timeout_ms):
        log.warning("a customer turn acknowledged before %d Redis replica(s) had it", settings.redis_replica_acks)
    if turn.replies:  # the bot answered (not a message relayed to an advisor)
        TURN_SECONDS.observe(time.perf_counter() - started)
    return CustomerTurnOut.of(turn)


class Feedback(BaseModel):
    message_id: str = Field(pattern=r"^\d{1,19}-\d{1,19}$", description="the bot answer being rated")
    helpful: bool
    lang: str | None = Field(default=None, pattern="^(en|fr)$")


@router.post("/{conversation_id}/feedback", responses=declared(400, 404, 429))
async def answer_feedback(body: Feedback, relay: Relay, limiter: Limiter, address: ClientAddress,
                          conversation_id: KnownConversation) -> CustomerTurnOut:
    """"Was this helpful?" A no counts toward handing over, as the customer saying so would. A rating
    counts against the customer's message limits."""
    _refuse_when_limited(await limiter.customer_feedback(conversation_id, address), "messages")
    with _turn_with_the_bot(unknown="no such bot answer in this conversation"):
        turn = await relay.feedback(conversation_id, body.message_id, body.helpful, body.lang)
    return CustomerTurnOut.of(turn)


@router.post("/{conversation_id}/typing", status_code=204, responses=declared(404, 429))
async def customer_typing(store: Store, limiter: Limiter, address: ClientAddress,
                          conversation_id: KnownConversation) -> None:
    _refuse_when_limited(await limiter.customer_typing(conversation_id, address), "typing signals")
    await store.typing(conversation_id, "customer", "")


@router.get("/{conversation_id}/messages", responses=declared(404))
async def read_messages(store: Store, conversation_id: KnownConversation, after: str = StreamId) -> list[dict[str, Any]]:
    return [m.public() for m in await store.messages(conversation_id, after) if m.kind in CUSTOMER_KINDS]


@router.get("/{conversation_id}/events", response_class=EventSourceResponse, responses=declared(404, 429))
async def live_events(
    store: Store, hub: Hub, conversation_id: KnownConversation, slot: CustomerStreamSlot, after: str = StreamId,
    last_event_id: str | None = LastEventId,
) -> AsyncIterator[ServerSentEvent]:
    """Messages after `after` (or the `Last-Event-ID` the browser sends on reconnection), then live.
    At most `live_streams_per_conversation` open per conversation and `live_streams_per_address` per
    client address (429 beyond)."""
    async for event in conversation_events(hub, store, conversation_id, last_event_id or after, for_customer=True):
        yield event
