"""Returning customers: checking the signed id a widget starts a conversation with (403 when it does not
hold), and the agent route listing the customer's earlier conversations."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from handoff.returning.history import previous_conversations
from handoff.returning.identity import IdentityRefused, verified_customer
from handoff.settings import HandoffSettings
from handoff.web.dependencies import CurrentAgent, KnownConversation, Store
from handoff.web.errors import declared
from handoff.web.same_origin import same_origin_changes

router = APIRouter(prefix="/api/agent", tags=["agent"], dependencies=[Depends(same_origin_changes)],
                   responses=declared(401, 403, 503))


class CustomerIdentity(BaseModel):
    """Who the site says its logged-in customer is, signed on the site's server."""

    user_id: str | None = Field(default=None, min_length=1, max_length=200,
                                description="the site's id for its logged-in customer; none: an anonymous chat")
    user_hash: str = Field(default="", max_length=200,
                           description="hex(HMAC-SHA256(CUSTOMER_ID_SECRET, user_id)), computed by the site's server")


def customer_or_refuse(settings: HandoffSettings, identity: CustomerIdentity | None) -> str | None:
    """The verified customer id, None for an anonymous chat; 403 saying why when the id cannot be trusted."""
    if identity is None or identity.user_id is None:
        if identity is not None and identity.user_hash:
            raise HTTPException(422, "user_hash without user_id: send both, or neither for an anonymous chat")
        return None
    secret = settings.customer_id_secret.get_secret_value() if settings.customer_id_secret else None
    try:
        return verified_customer(secret, identity.user_id, identity.user_hash)
    except IdentityRefused as refused:
        raise HTTPException(403, str(refused)) from None


@router.get("/conversations/{conversation_id}/previous", responses=declared(404))
async def previous(agent: CurrentAgent, store: Store, conversation_id: KnownConversation) -> dict[str, Any]:
    """The earlier conversations of this conversation's customer, newest first, when the site identified
    them with a signed id (`customer` null and no conversations for an anonymous customer). Each one's
    transcript: GET /api/agent/conversations/{id}."""
    return asdict(await previous_conversations(store, conversation_id))
