"""Browser-side hardening (issue 13, "cookies and headers"): the session cookie is Secure, the agent
and editor APIs refuse changes asked from another site, and every page has a strict
Content-Security-Policy that its own markup satisfies; only the chat pages may be framed, and only
by the sites allowed to embed the widget."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from handoff.agents import save_agent
from knowledge.settings import KnowledgeSettings
from knowledge.store import ARTICLES_SUFFIX, make_client, raw_collection
from tests.security.conftest import WebApp

pytestmark = pytest.mark.anyio

PASSWORD = "correct horse"
ARTICLE = "lumen/reset-password-en"
OWN = "https://chat.test"
ELSEWHERE = "https://attacker.example"


def _policy(response: httpx.Response) -> dict[str, str]:
    header = response.headers.get("content-security-policy", "")
    directives = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {name: sources[0] if sources else "" for name, *sources in directives}


class _InlineCode(HTMLParser):
    """What a policy without 'unsafe-inline' would block: <script> bodies, <style> elements, style=""
    and on…="" attributes; and every file a page loads, which must be the app's own."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self.loaded: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        self.inline += [f"<{tag} {name}>" for name, _ in attrs if name == "style" or name.startswith("on")]
        if tag == "style":
            self.inline.append("<style>")
        if tag == "script":
            self._in_script = "src" not in named
            if named.get("src"):
                self.loaded.append(named["src"] or "")
        if tag == "link" and named.get("rel") == "stylesheet":
            self.loaded.append(named.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("<script> with a body")


@pytest.fixture
def article(tmp_path: Path) -> str:
    """One help-centre article in the Chroma folder the web app will open (CHROMA_PATH)."""
    settings = KnowledgeSettings(chroma_path=tmp_path / "chroma")
    raw_collection(make_client(settings), settings.collection_name, ARTICLES_SUFFIX).upsert(
        ids=[ARTICLE], documents=["Reset your password\n\nOpen **Settings**."], embeddings=[[1.0]],
        metadatas=[{"title": "Reset your password", "lang": "en"}])
    return ARTICLE


async def test_console_editor_and_help_pages_are_never_framed_and_run_only_the_apps_files(
        web_app: WebApp, article: str) -> None:
    async with web_app() as web:
        for path in ("/console", "/editor", f"/help/{article}"):
            page = await web.get(path)
            assert page.status_code == 200, path
            policy = _policy(page)
            assert policy.get("frame-ancestors") == "'none'", (path, policy)
            assert policy.get("default-src") == "'none'" and policy.get("script-src") == "'self'", (path, policy)
            assert policy.get("style-src") == "'self'" and policy.get("connect-src") == "'self'", (path, policy)
            assert page.headers["x-content-type-options"] == "nosniff"


async def test_the_chat_pages_may_be_framed_by_the_widget_sites_alone(web_app: WebApp) -> None:
    async with web_app(widget_origins=["https://www.lumen.test"]) as web:
        for path in ("/", "/demo"):
            policy = _policy(await web.get(path))
            assert policy.get("frame-ancestors") == "https://www.lumen.test", (path, policy)
            assert policy.get("script-src") == "'self'", (path, policy)


async def test_every_page_satisfies_its_own_policy(web_app: WebApp, article: str) -> None:
    """No inline script or style for the policy to block; every script and style sheet from the app."""
    async with web_app() as web:
        for path in ("/", "/demo", "/console", "/editor", f"/help/{article}"):
            page = await web.get(path)
            assert "'unsafe-inline'" not in page.headers.get("content-security-policy", "x 'unsafe-inline'"), path
            found = _InlineCode()
            found.feed(page.text)
            assert found.inline == [], (path, found.inline)
            assert found.loaded and all(src.startswith("/") and not src.startswith("//") for src in found.loaded), path
            for src in found.loaded:
                assert (await web.get(src)).status_code == 200, (path, src)


async def test_the_session_cookie_is_secure_unless_turned_off(web_app: WebApp, redis_client: Redis) -> None:
    await save_agent(redis_client, "alice", PASSWORD, "Alice", ["en"])
    credentials = {"username": "alice", "password": PASSWORD}
    async with web_app() as web:
        cookie = (await web.post("/api/agent/login", json=credentials)).headers["set-cookie"].lower()
        assert "agent_session=" in cookie and "; secure" in cookie
    async with web_app(secure_cookies=False) as plain_http:  # what `make run` sets
        cookie = (await plain_http.post("/api/agent/login", json=credentials)).headers["set-cookie"].lower()
        assert "agent_session=" in cookie and "secure" not in cookie


async def test_changes_with_the_session_cookie_must_come_from_the_apps_own_pages(
        web_app: WebApp, redis_client: Redis) -> None:
    await save_agent(redis_client, "alice", PASSWORD, "Alice", ["en"])
    async with web_app(trusted_origins=["https://console.lumen.test"]) as web:
        token = (await web.post("/api/agent/login", json={"username": "alice", "password": PASSWORD},
                                headers={"Origin": OWN})).json()["token"]
        assert "agent_session" in web.cookies

        async def claim(**headers: str) -> int:
            return (await web.post("/api/agent/queue/next", headers=headers)).status_code

        assert await claim(Origin=ELSEWHERE) == 403
        assert await claim(Origin="null") == 403  # a sandboxed frame
        assert await claim(Referer=f"{ELSEWHERE}/page") == 403
        assert await claim() == 403  # the cookie alone, saying nowhere
        assert await claim(Origin=OWN) == 204
        assert await claim(Referer=f"{OWN}/console") == 204
        assert await claim(Origin="https://console.lumen.test") == 204
        # Reading stays open to the page itself (CORS keeps other sites from reading the answer).
        assert (await web.get("/api/agent/me", headers={"Origin": OWN})).status_code == 200

        web.cookies.clear()
        assert await claim(Authorization=f"Bearer {token}") == 204  # a script: no Origin, a token
        assert await claim(Authorization=f"Bearer {token}", Origin=ELSEWHERE) == 403


async def test_the_editor_api_refuses_changes_from_another_site(web_app: WebApp, redis_client: Redis) -> None:
    await save_agent(redis_client, "edna", PASSWORD, "Edna", ["en"], ["editor"])
    async with web_app() as web:
        await web.post("/api/agent/login", json={"username": "edna", "password": PASSWORD}, headers={"Origin": OWN})
        upload = await web.put("/api/editor/drafts/forged.md", content=b"# Forged\n\nText.", headers={"Origin": ELSEWHERE})
        assert upload.status_code == 403
        assert "forged.md" not in str((await web.get("/api/editor/drafts")).json())


async def test_logging_in_from_another_site_is_refused(web_app: WebApp, redis_client: Redis) -> None:
    """Else a page could log a visitor into the attacker's account (login CSRF)."""
    await save_agent(redis_client, "alice", PASSWORD, "Alice", ["en"])
    async with web_app() as web:
        login = await web.post("/api/agent/login", json={"username": "alice", "password": PASSWORD},
                               headers={"Origin": ELSEWHERE})
        assert login.status_code == 403 and "agent_session" not in web.cookies
