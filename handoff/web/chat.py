"""Customer chat routes: a conversation token, and messages relayed to the bot."""
from __future__ import annotations

import secrets
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from handoff.web.bot_replies import BotReply, group_rasa_messages
from handoff.web.settings import WebSettings

router = APIRouter(prefix="/api")


class NewConversation(BaseModel):
    conversation_id: str


class CustomerMessage(BaseModel):
    text: str = Field(min_length=1)
    lang: str | None = Field(default=None, pattern="^(en|fr)$")


class BotTurn(BaseModel):
    replies: list[BotReply]


def settings_of(request: Request) -> WebSettings:
    return request.app.state.settings


def http_of(request: Request) -> httpx.AsyncClient:
    return request.app.state.http


Settings = Annotated[WebSettings, Depends(settings_of)]
Http = Annotated[httpx.AsyncClient, Depends(http_of)]


@router.post("/conversations", status_code=201)
async def start_conversation() -> NewConversation:
    # Unguessable: the id is the customer's only credential for their conversation.
    return NewConversation(conversation_id=secrets.token_urlsafe(24))


@router.post("/conversations/{conversation_id}/messages")
async def send_message(conversation_id: str, message: CustomerMessage, settings: Settings, http: Http) -> BotTurn:
    if len(conversation_id) < 16 or len(conversation_id) > 64:
        raise HTTPException(404, "unknown conversation")
    if len(message.text) > settings.max_message_chars:
        raise HTTPException(413, f"message too long: {settings.max_message_chars} characters at most")
    if not message.text.strip():
        raise HTTPException(422, "message is empty")
    payload = {"sender": conversation_id, "message": message.text, "metadata": {"lang": message.lang}}
    try:
        response = await http.post(f"{settings.rasa_url}/webhooks/rest/webhook", json=payload)
        response.raise_for_status()
    except httpx.HTTPError as error:
        raise HTTPException(503, f"the assistant is unavailable, please retry: {type(error).__name__}") from error
    return BotTurn(replies=group_rasa_messages(response.json()))
