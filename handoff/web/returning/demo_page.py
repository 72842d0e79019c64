"""The demo company page as a site serves it to a logged-in customer: the widget's tag carries the customer's
id and its signature, computed here as a site's server would. Only where DEMO_CUSTOMER_ID is set (`make run`
sets it): anyone opening the page is that customer."""
from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from handoff.returning.identity import sign
from handoff.web.dependencies import Settings
from handoff.web.page_policies import widget_page_headers

DEMO_PAGE = Path(__file__).resolve().parent.parent / "static" / "demo.html"
WIDGET_TAG = '<script src="/widget.js" defer></script>'

router = APIRouter()


@router.get("/demo/returning", include_in_schema=False)
async def returning_customer_demo(settings: Settings) -> HTMLResponse:
    secret = settings.customer_id_secret.get_secret_value() if settings.customer_id_secret else ""
    if not (secret and settings.demo_customer_id):
        raise HTTPException(404, "no demo customer: set CUSTOMER_ID_SECRET and DEMO_CUSTOMER_ID (make run does)")
    user_id = settings.demo_customer_id
    signed = (f'<script src="/widget.js" data-user-id="{escape(user_id)}" '
              f'data-user-hash="{sign(secret, user_id)}" defer></script>')
    page = DEMO_PAGE.read_text(encoding="utf-8").replace(WIDGET_TAG, signed)
    return HTMLResponse(page, headers=widget_page_headers(settings))
