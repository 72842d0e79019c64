"""The session's one stack (Redis, action server, Rasa, web app on a throwaway copy of the sample help
centre) and the browser fixtures. Every test module here uses the same stack; the ones that publish to
its help centre are marked `publishes` and run last (tests/conftest.py orders them)."""
from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, sync_playwright

from handoff.agents import save_agent
from handoff.connection import connect
from knowledge.settings import SAMPLE_KB
from ops.stack import Stack, start_stack
from tests.e2e.browser import (
    CHROMIUM, PASSWORD, AgentAccount, MakeAccount, NewTab, Screenshots, Tab, run_async, screenshots_folder,
)
from tests.e2e.handoff_clients import unique
from tests.knowledge.helpers import cli
from tests.smtp_server import SmtpServer


@dataclass(frozen=True)
class HelpCentre:
    folder: Path  # the articles as published, as the content team edits them
    chroma: Path


@pytest.fixture(scope="session")
def help_centre(tmp_path_factory: pytest.TempPathFactory) -> HelpCentre:
    """A copy of the sample help centre published as v1 by alice (by the CLI, in its own process), so that
    publishing and rolling back in the tests changes neither the repository nor the other fixtures' index."""
    root = tmp_path_factory.mktemp("help-centre")
    folder, chroma = root / "kb", root / "chroma"
    shutil.copytree(SAMPLE_KB, folder)
    done = cli("publish", str(folder), "--author", "alice", chroma=chroma)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return HelpCentre(folder, chroma)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    """The mail server the stack's web app sends agents' email replies to tickets through."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, help_centre: HelpCentre, smtp_server: SmtpServer) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("stack"), help_centre.chroma, smtp_url=smtp_server.url)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def warm_stack(stack: Stack) -> Stack:
    """The action server loads the knowledge base on its first request, which can take longer than
    the web app waits for Rasa; one question straight to Rasa first, as a deployment's warm-up would."""
    httpx.post(f"{stack.urls['rasa']}/webhooks/rest/webhook",
               json={"sender": f"warm-up-{uuid.uuid4().hex}", "message": "How do I reset my password?"},
               timeout=300).raise_for_status()
    return stack


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One chromium per module, stopped with it: while Playwright's sync API runs, an event loop is
    running in this thread, and the async tests (anyio, asyncio.run) of other modules could not run."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    return Screenshots(screenshots_folder(request.node.name))


@pytest.fixture
def new_tab(browser: Browser, warm_stack: Stack, request: pytest.FixtureRequest) -> Iterator[NewTab]:
    """A page in a fresh browser context (its own cookies and storage: one person each).
    When the test fails, every page's last state is saved as var/screenshots/<test>/failed-<n>.png."""
    contexts: list[BrowserContext] = []
    failed_before = request.session.testsfailed

    def open_tab(locale: str = "en-GB", width: int = 1280, height: int = 800) -> Tab:
        context = browser.new_context(locale=locale, viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        tab = Tab(page)

        def on_dialog(dialog: Dialog) -> None:
            tab.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("pageerror", lambda error: tab.errors.append(str(error)))
        return tab

    yield open_tab
    if request.session.testsfailed > failed_before:
        folder = screenshots_folder(request.node.name)
        folder.mkdir(parents=True, exist_ok=True)
        for number, page in enumerate((page for context in contexts for page in context.pages), start=1):
            page.screenshot(path=str(folder / f"failed-{number}.png"))
    for context in contexts:
        context.close()


@pytest.fixture
def make_account(stack: Stack) -> MakeAccount:
    def make(display_name: str, languages: tuple[str, ...] = ("en", "fr")) -> AgentAccount:
        username = unique(display_name.lower().replace(" ", "-"))

        async def create() -> None:
            client = connect(stack.urls["redis"])
            await save_agent(client, username, PASSWORD, display_name, list(languages))
            await client.aclose()

        run_async(create)
        return AgentAccount(username, display_name)

    return make
