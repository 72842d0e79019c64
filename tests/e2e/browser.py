"""The widget and the console as a customer and an advisor use them in a real browser (Playwright
driving Debian's chromium), and what the browser tests record: screenshots of every step go to
var/screenshots/<test name>/<step>.png. The fixtures are in tests/e2e/conftest.py."""
from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from knowledge.settings import REPO_ROOT

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = REPO_ROOT / "var" / "screenshots"
PASSWORD = "correct horse battery"
# The bot's first answer can wait for Rasa and the action server to warm up.
ANSWER_TIMEOUT_MS = 60_000
LIVE_TIMEOUT_MS = 20_000
# The console's hand-back button and what the chat's owner reads then, per console language.
HAND_BACK = {"en": ("Hand back to the bot", "With the bot"), "fr": ("Rendre au bot", "Avec le bot")}

expect.set_options(timeout=LIVE_TIMEOUT_MS)


def run_async(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Runs a coroutine from a browser test: Playwright's sync API keeps an event loop running in this
    thread, so the coroutine gets its own loop in another thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, make()).result()


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


def screenshots_folder(test_name: str) -> Path:
    return SCREENSHOTS / re.sub(r"[^\w.-]+", "_", test_name)


@dataclass
class Tab:
    """One browser page with everything that happened in it that a test may assert on."""

    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


NewTab = Callable[..., Tab]


@dataclass(frozen=True)
class AgentAccount:
    username: str
    display_name: str
    password: str = PASSWORD


MakeAccount = Callable[..., AgentAccount]


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
        self.bot_rows = self.log.locator(".row.bot[data-id]")
        self.agent_rows = self.log.locator(".row.agent[data-id]")
        self.customer_rows = self.log.locator(".row.customer")

    def open(self) -> None:
        self.launcher.click()
        expect(self.panel).to_be_visible()
        expect(self.input).to_be_focused()

    def ask(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

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
        self.transcript = page.locator("#transcript")
        self.reply_box = page.locator("#reply")
        self.suggestions = page.get_by_test_id("suggestion")

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

    def send(self, text: str) -> None:
        self.reply_box.fill(text)
        self.reply_box.press("Enter")
        expect(self.transcript.locator(".msg.agent .bubble", has_text=text)).to_have_count(1)

    def hand_back(self, lang: str = "en") -> None:
        """Hands the open chat back to the bot with the console in `lang`, and sees it with the bot."""
        button, owner = HAND_BACK[lang]
        self.page.get_by_role("button", name=button).click()
        expect(self.page.get_by_test_id("owner")).to_have_text(owner)
