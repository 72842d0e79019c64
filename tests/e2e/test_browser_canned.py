"""Canned replies in a real browser (chromium), against the real stack: an editor writes one with
variables (an unknown variable refused first), a customer asks the bot then a person, the advisor types
"/" in the reply box, picks the reply with the keyboard and sends it; the customer's stored messages
hold it filled with the advisor's name and the link to the article the bot answered with."""
from __future__ import annotations

import re

import redis
from playwright.sync_api import Page, expect

import pytest

from handoff.agents import save_agent
from handoff.connection import connect
from knowledge import redis_keys as keys
from ops.stack import Stack
from tests.e2e.browser import ANSWER_TIMEOUT_MS, PASSWORD, Console, MakeAccount, NewTab, Screenshots, Widget, run_async
from tests.e2e.handoff_clients import unique

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ARTICLE = "lumen/reset-password-en"
TEXT = "Hello, I'm {agent_name}. Everything is in this article: {article_link}"


def log_in_as_editor(page: Page, web: str, username: str) -> None:
    page.goto(f"{web}/editor")
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    expect(page.locator("#app")).to_be_visible()


def test_an_advisor_sends_a_canned_reply_with_its_variables_filled(
        stack: Stack, new_tab: NewTab, make_account: MakeAccount, shots: Screenshots) -> None:
    editor = unique("edith")
    shortcut = unique("password")

    async def create_editor() -> None:
        client = connect(stack.urls["redis"])
        await save_agent(client, editor, PASSWORD, "Edith", ["en", "fr"], ["editor"])
        await client.aclose()

    run_async(create_editor)
    editor_page = new_tab().page
    log_in_as_editor(editor_page, stack.urls["web"], editor)
    editor_page.get_by_role("tab", name="Canned replies").click()
    form = editor_page.locator("#canned-form")
    expect(form.get_by_role("heading")).to_have_text("New canned reply")
    form.get_by_label("Shortcut").fill(shortcut)
    form.get_by_label("Title").fill("Password reset steps")
    form.get_by_label("Text").fill("Hi {customer_name}, I'm ")
    form.get_by_role("button", name="{agent_name}").click()  # inserted where the cursor is
    expect(form.get_by_label("Text")).to_have_value("Hi {customer_name}, I'm {agent_name}")
    form.get_by_role("button", name="Save").click()
    expect(editor_page.locator("#canned-error")).to_contain_text("unknown variable {customer_name}")
    shots(editor_page, "unknown-variable-refused")
    form.get_by_label("Text").fill(TEXT)
    form.get_by_role("button", name="Save").click()
    saved = editor_page.get_by_test_id("canned-item").filter(has_text=f"/{shortcut}")
    expect(saved).to_contain_text("Password reset steps")
    expect(saved).to_contain_text("support")
    expect(editor_page.locator("#canned-error")).to_have_text("")
    shots(editor_page, "canned-reply-saved")

    alice = make_account("Alice")
    console = Console(new_tab().page, stack.urls["web"])
    console.log_in(alice)
    widget_tab = new_tab()
    widget_tab.page.goto(f"{stack.urls['web']}/demo?lang=en")
    widget = Widget(widget_tab.page)
    widget.open()
    widget.ask("How do I reset my password?")
    answer = widget.wait_for_bot_replies(1)
    expect(answer.locator("a.source")).to_have_attribute("data-article", ARTICLE)
    widget.human.click()
    expect(widget.banner).to_contain_text("in line", timeout=ANSWER_TIMEOUT_MS)
    conversation_id = widget.conversation_id()
    console.take(conversation_id)

    box = console.reply_box
    box.press_sequentially("/")
    menu = console.page.locator("#canned-menu")
    expect(menu.get_by_test_id("canned-option").filter(has_text=f"/{shortcut}")).to_be_visible()
    box.press("Escape")  # closes the list, keeps the text
    expect(menu).to_have_count(0)
    expect(box).to_have_value("/")
    box.press_sequentially(shortcut[:12])
    options = menu.get_by_test_id("canned-option")
    expect(options).to_have_count(1)
    expect(options.first).to_have_attribute("aria-selected", "true")
    shots(console.page, "slash-opens-the-list")
    box.press("ArrowDown")  # one option: stays on it
    box.press("Enter")  # picks it: the box gets the filled text, nothing is sent yet
    link = f"{stack.urls['web']}/help/{ARTICLE}"
    filled = f"Hello, I'm Alice. Everything is in this article: {link}"
    expect(box).to_have_value(filled)
    expect(menu).to_have_count(0)
    expect(console.transcript.locator(".msg.agent")).to_have_count(0)
    shots(console.page, "filled-reply-in-the-box")

    box.press("Enter")
    expect(console.transcript.locator(".msg.agent .bubble")).to_have_text(filled)
    expect(widget.agent_rows.first).to_contain_text(filled)
    expect(widget.agent_rows.first.locator("a")).to_have_attribute("href", link)
    shots(widget.page, "customer-gets-the-canned-reply")

    stored = redis.Redis.from_url(stack.urls["redis"], decode_responses=True).xrange(keys.messages(conversation_id))
    sent = [fields["text"] for _, fields in stored if fields.get("kind") == "agent"]
    assert sent == [filled]
    assert re.search(r"/help/lumen/reset-password-en$", sent[0])
