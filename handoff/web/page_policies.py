"""The headers each HTML page is served with: a strict Content-Security-Policy (scripts and styles
from the app's own files only, no inline code, calls to the app only) and who may frame the page.

The console, the editor and the help articles may be framed by nobody (clickjacking); the chat
pages ("/" and "/demo") by the sites allowed to embed the widget (WIDGET_ORIGINS)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi.responses import FileResponse

from handoff.settings import HandoffSettings

# Images may come from anywhere over https: help articles (Markdown) may show pictures hosted elsewhere.
_POLICY = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: https:",
    "connect-src": "'self'",
    "base-uri": "'none'",
    "form-action": "'self'",
}


def _headers(frame_ancestors: str) -> dict[str, str]:
    policy = {**_POLICY, "frame-ancestors": frame_ancestors}
    return {
        "Content-Security-Policy": "; ".join(f"{name} {sources}" for name, sources in policy.items()),
        "X-Content-Type-Options": "nosniff",
        # Full URLs (conversation links, help articles) stay within the site; Referer still reaches the
        # app's own API, where the origin check may read it.
        "Referrer-Policy": "same-origin",
    }


def unframed_page_headers() -> dict[str, str]:
    """The console, the editor, and the help articles."""
    return _headers("'none'")


def widget_page_headers(settings: HandoffSettings) -> dict[str, str]:
    """The chat pages: framed only by the sites allowed to embed the widget ("*": any site)."""
    origins = [origin.strip() for origin in settings.widget_origins if origin.strip()]
    return _headers(" ".join(origins) if origins else "'self'")


def static_page(file: Path, headers: dict[str, str], media_type: str | None = None) -> Callable[[], Awaitable[FileResponse]]:
    """A route that serves one of the app's pages with its policy headers."""
    async def page() -> FileResponse:
        return FileResponse(file, media_type=media_type, headers=headers)

    return page
