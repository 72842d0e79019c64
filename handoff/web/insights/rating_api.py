"""The customer's 1-5 rating of a conversation (the widget asks at its end). Recorded as an event; a second
rating is recorded too, and the figures keep each conversation's last."""
from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from handoff.web.dependencies import ClientAddress, KnownConversation, Limiter, Store
from handoff.web.errors import declared

router = APIRouter(prefix="/api/conversations", tags=["customer"], responses=declared(503))


class Rating(BaseModel):
    rating: int = Field(ge=1, le=5)
    lang: str | None = Field(default=None, pattern="^(en|fr)$")


@router.post("/{conversation_id}/rating", status_code=204, responses=declared(400, 404, 429))
async def rate_conversation(body: Rating, store: Store, limiter: Limiter, address: ClientAddress,
                            conversation_id: KnownConversation) -> None:
    """Counted against the customer's message limits, as a "helpful?" answer is."""
    wait_s = await limiter.customer_feedback(conversation_id, address)
    if wait_s:
        raise HTTPException(429, f"too many messages: please wait {wait_s} s before sending more",
                            headers={"Retry-After": str(wait_s)})
    lang = body.lang or (await store.status(conversation_id)).lang
    await store.insights.rating(conversation_id, body.rating, lang)
