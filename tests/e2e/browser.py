"""A real browser (Playwright driving Debian's chromium) against the real stack: fixtures, and the
widget and the console as a customer and an advisor use them. Screenshots of every step go to
var/screenshots/<test name>/<step>.png.

Test modules import the fixtures they use from here (`from tests.e2e.browser import ...`)."""
from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Locator, Page, expect, sync_playwright

from handoff.agents import save_agent
from handoff.connection import connect
from knowledge.settings import REPO_ROOT
from ops.stack import Stack
from tests.e2e.handoff_clients import unique

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = REPO_ROOT / "var" / "screenshots"
PASSWORD = "correct horse battery"
# The bot's first answer can wait for Rasa and the action server to warm up.
ANSWER_TIMEOUT_MS = 60_000
LIVE_TIMEOUT_MS = 20_000

expect.set_options(timeout=LIVE_TIMEOUT_MS)


# Each test module imports these fixtures, which makes one definition per module: the browser and
# the warm-up are shared through this module so that the session starts each of them once.
_session: dict[str, object] = {}


@pytest.fixture(scope="session")
def warm_stack(stack: Stack) -> Stack:
    """The action server loads the knowledge base on its first request, which can take longer than
    the web app waits for Rasa; one question straight to Rasa first, as a deployment's warm-up would."""
    if _session.get("warmed") is not stack:
        httpx.post(f"{stack.urls['rasa']}/webhooks/rest/webhook",
                   json={"sender": f"warm-up-{uuid.uuid4().hex}", "message": "How do I reset my password?"},
                   timeout=300).raise_for_status()
        _session["warmed"] = stack
    return stack


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if "browser" not in _session:
        running = sync_playwright().start()
        _session["playwright"] = running
        _session["browser"] = running.chromium.launch(executable_path=CHROMIUM, headless=True)
    yield _session["browser"]  # type: ignore[misc]
    if "browser" in _session:  # the first definition to finish closes it
        _session.pop("browser").close()  # type: ignore[attr-defined]
        _session.pop("playwright").stop()  # type: ignore[attr-defined]


class Screenshots:
    """Saves numbered screenshots of a test's steps: var/screenshots/<test>/<NN>-<step>.png."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):  # the previous run's
            old.unlink()

    def __call__(self, page: Page, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        page.screenshot(path=str(path))
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Screenshots:
    return Screenshots(SCREENSHOTS / _folder_name(request.node.name))


def _folder_name(test_name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", test_name)


@dataclass
class Tab:
    """One browser page with everything that happened in it that a test may assert on."""

    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


NewTab = Callable[..., Tab]


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
        folder = SCREENSHOTS / _folder_name(request.node.name)
        folder.mkdir(parents=True, exist_ok=True)
        for number, page in enumerate((page for context in contexts for page in context.pages), start=1):
            page.screenshot(path=str(folder / f"failed-{number}.png"))
    for context in contexts:
        context.close()


@dataclass(frozen=True)
class AgentAccount:
    username: str
    display_name: str
    password: str = PASSWORD


MakeAccount = Callable[..., AgentAccount]


@pytest.fixture
def make_account(stack: Stack) -> MakeAccount:
    def make(display_name: str, languages: tuple[str, ...] = ("en", "fr")) -> AgentAccount:
        username = unique(display_name.lower().replace(" ", "-"))

        async def create() -> None:
            client = connect(stack.urls["redis"])
            await save_agent(client, username, PASSWORD, display_name, list(languages))
            await client.aclose()

        # Playwright's sync API keeps an event loop running in this thread: the async Redis call gets its own.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, create()).result()
        return AgentAccount(username, display_name)

    return make


class Widget:
    """The chat widget on a page, as a customer uses it (everything inside its shadow root)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.launcher = page.locator("#lumen-chat-widget .launcher")
        self.panel = page.locator("#lumen-chat-widget .panel")
        self.log = page.locator("#lumen-chat-widget .log")
        self.input = page.locator("#lumen-chat-widget textarea")
        self.banner = page.locator("#lumen-chat-widget .banner")
        self.header = page.locator("#lumen-chat-widget .header")
        self.typing = page.locator("#lumen-chat-widget .typing")
        self.human = page.locator("#lumen-chat-widget .human")

    def open(self) -> None:
        self.launcher.click()
        expect(self.panel).to_be_visible()
        expect(self.input).to_be_focused()

    def ask(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    @property
    def bot_rows(self) -> Locator:
        return self.log.locator(".row.bot[data-id]")

    @property
    def agent_rows(self) -> Locator:
        return self.log.locator(".row.agent[data-id]")

    @property
    def customer_rows(self) -> Locator:
        return self.log.locator(".row.customer")

    def wait_for_bot_replies(self, count: int) -> Locator:
        expect(self.bot_rows).to_have_count(count, timeout=ANSWER_TIMEOUT_MS)
        return self.bot_rows.nth(count - 1)

    def wait_until_sent(self) -> None:
        expect(self.log.locator(".row.customer[data-pending]")).to_have_count(0, timeout=ANSWER_TIMEOUT_MS)

    def conversation_id(self) -> str:
        return self.page.evaluate("localStorage.getItem('lumen-chat:conversation')")

    def shown_ids(self) -> list[str]:
        return self.log.locator("[data-id]").evaluate_all("nodes => nodes.map(n => n.dataset.id)")


class Console:
    """The advisor console in a page."""

    def __init__(self, page: Page, web: str) -> None:
        self.page = page
        self.web = web

    def log_in(self, account: AgentAccount) -> None:
        self.page.goto(f"{self.web}/console")
        self.page.locator("#login-username").fill(account.username)
        self.page.locator("#login-password").fill(account.password)
        self.page.locator("#login-form button[type=submit]").click()
        expect(self.page.locator("#app")).to_be_visible()
        expect(self.page.locator("#me")).to_contain_text(account.display_name)
        expect(self.page.locator("#presence")).not_to_have_class(re.compile("offline"))

    def queue_item(self, conversation_id: str) -> Locator:
        return self.page.locator(f"#list .item[data-id='{conversation_id}']")

    def take(self, conversation_id: str) -> None:
        self.queue_item(conversation_id).get_by_role("button", name=re.compile("^(Take|Prendre)")).click()
        expect(self.page.locator("#reply")).to_be_visible()

    @property
    def transcript(self) -> Locator:
        return self.page.locator("#transcript")

    @property
    def reply_box(self) -> Locator:
        return self.page.locator("#reply")

    @property
    def suggestions(self) -> Locator:
        return self.page.get_by_test_id("suggestion")

    def send(self, text: str) -> None:
        self.reply_box.fill(text)
        self.reply_box.press("Enter")
        expect(self.transcript.locator(".msg.agent .bubble", has_text=text)).to_have_count(1)
