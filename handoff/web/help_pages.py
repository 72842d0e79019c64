"""The help-centre article a bot answer cites, as a page the widget links to."""
from __future__ import annotations

import html

from chromadb.api import ClientAPI
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from handoff.rendering import markdown_to_safe_html
from handoff.web.dependencies import Settings
from handoff.web.errors import declared
from handoff.web.page_policies import unframed_page_headers
from knowledge.settings import KnowledgeSettings

router = APIRouter(tags=["help centre"])


def _article(client: ClientAPI, settings: KnowledgeSettings, article_id: str) -> tuple[str, str, str] | None:
    collection = client.get_or_create_collection(f"{settings.collection_name}-articles")
    got = collection.get(ids=[article_id], include=["metadatas", "documents"])
    if not got["ids"]:
        return None
    meta, document = got["metadatas"][0], got["documents"][0] or ""
    title = str(meta.get("title") or article_id)
    body = document[len(title) + 2:] if document.startswith(title) else document
    return title, str(meta.get("lang") or "en"), body


@router.get("/help/{article_id:path}", response_class=HTMLResponse, responses=declared(404))
async def help_article(article_id: str, request: Request, settings: Settings) -> HTMLResponse:
    found = _article(request.app.state.chroma, settings, article_id)
    if found is None:
        raise HTTPException(404, "no such article")
    title, lang, body = found
    page = f"""<!doctype html>
<html lang="{html.escape(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/help.css"></head>
<body><main><h1>{html.escape(title)}</h1>
{markdown_to_safe_html(body)}
</main></body></html>"""
    return HTMLResponse(page, headers=unframed_page_headers())
