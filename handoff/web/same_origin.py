"""Cross-site request forgery stops here: a request that changes something in the agent or editor
APIs must come from one of the app's own pages when the session cookie is what authenticates it.

Browsers send Origin (or at least Referer) with every POST, PUT, PATCH and DELETE, and a page on
another site cannot forge either; so a request that names another origin is refused (403), and so is
a cookie-authenticated one that names none. Scripts and tests send the session token in an
Authorization header, which no other site can make a browser add: they need neither header.
The session cookie is also SameSite=Strict; this check still holds where that is not honoured."""
from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from handoff.settings import HandoffSettings
from handoff.web.dependencies import SESSION_COOKIE

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, lower-cased; "" when it has none."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def _is_allowed(origin: str, request: Request, settings: HandoffSettings) -> bool:
    # The app's own origin is judged by host and port only: behind a proxy that ends TLS the app
    # sees http while the browser says https.
    own_host = request.headers.get("host", "").lower()
    if own_host and urlsplit(origin).netloc == own_host:
        return True
    return origin in {_origin_of(trusted) for trusted in settings.trusted_origins}


def _authenticated_by_header(request: Request) -> bool:
    return request.headers.get("authorization", "").lower().startswith("bearer ")


async def same_origin_changes(request: Request) -> None:
    """A router dependency: 403 for a state-changing request from another site."""
    if request.method in SAFE_METHODS:
        return
    declared = request.headers.get("origin") or request.headers.get("referer") or ""
    if not declared:
        if _authenticated_by_header(request) or SESSION_COOKIE not in request.cookies:
            return
        raise HTTPException(403, "this request carries the session cookie but no Origin: send it from the app's pages")
    origin = _origin_of(declared)
    if not origin or not _is_allowed(origin, request, request.app.state.settings):
        raise HTTPException(403, f"requests from {origin or 'this page'} may not change anything here")
