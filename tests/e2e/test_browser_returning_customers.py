"""Returning customers (issue 17) in a real browser against the real stack: a customer the site identifies
with a signed id chats once, comes back on another device and is handed over; the advisor's console lists
the first conversation under "Previous conversations" and shows its transcript read-only. A widget whose
signature does not hold is refused."""
from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Route, expect

from handoff.returning.identity import sign
from ops.stack import Stack
from tests.e2e.browser import ANSWER_TIMEOUT_MS, Console, MakeAccount, NewTab, Screenshots, Widget
from tests.e2e.handoff_clients import unique

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

WIDGET_TAG = '<script src="/widget.js" defer></script>'


def signed_customer_on_demo_page(stack: Stack, new_tab: NewTab, user_id: str, user_hash: str) -> Widget:
    """The demo page as a site serves it to its logged-in customer: the widget's tag carries the customer's
    id and the hash the site's server computed."""
    page = new_tab().page

    def identify(route: Route) -> None:
        response = route.fetch()
        html = response.text()
        assert WIDGET_TAG in html
        tag = f'<script src="/widget.js" data-user-id="{user_id}" data-user-hash="{user_hash}" defer></script>'
        route.fulfill(response=response, body=html.replace(WIDGET_TAG, tag))

    page.route(lambda url: urlparse(url).path == "/demo", identify)
    page.goto(f"{stack.urls['web']}/demo?lang=en")
    widget = Widget(page)
    widget.open()
    return widget


def test_a_signed_returning_customers_history_shows_in_the_console_and_an_unsigned_one_is_refused(
        stack: Stack, new_tab: NewTab, make_account: MakeAccount, shots: Screenshots) -> None:
    secret = stack.env["CUSTOMER_ID_SECRET"]
    customer = unique("customer")
    alice = make_account("Alice")
    console = Console(new_tab().page, stack.urls["web"])
    console.log_in(alice)

    # First visit: a question the bot answers.
    first = signed_customer_on_demo_page(stack, new_tab, customer, sign(secret, customer))
    first.ask("How do I reset my password?")
    first.wait_for_bot_replies(1)
    first_id = first.conversation_id()
    shots(first.page, "first-conversation-answered")

    # Back on another device: handed over to an advisor.
    second = signed_customer_on_demo_page(stack, new_tab, customer, sign(secret, customer))
    second.ask("My bill is much higher than usual this month")
    second.wait_until_sent()
    expect(second.bot_rows).not_to_have_count(0, timeout=ANSWER_TIMEOUT_MS)
    second.human.click()
    expect(second.banner).to_contain_text("in line", timeout=ANSWER_TIMEOUT_MS)
    second_id = second.conversation_id()
    assert second_id and second_id != first_id

    console.take(second_id)
    card = console.page.get_by_test_id("previous-conversations")
    expect(card).to_be_visible()
    expect(card).to_contain_text(f"Customer id {customer}, verified by the site")
    past = card.get_by_test_id("previous-conversation")
    expect(past).to_have_count(1)  # the first one, not the one open
    expect(past).to_have_attribute("data-id", first_id)
    expect(past.get_by_test_id("previous-outcome")).to_have_text("Answered by the bot")
    expect(past.get_by_test_id("previous-last")).to_contain_text("Assistant:")
    shots(console.page, "previous-conversations-listed")

    past.get_by_role("button", name=re.compile("^Read the transcript")).click()
    transcript = console.page.get_by_test_id("previous-transcript")
    expect(transcript).to_be_visible()
    expect(transcript).to_contain_text("Read only")
    expect(transcript.locator(".msg.customer")).to_have_text([re.compile("How do I reset my password\\?")])
    expect(transcript.locator(".msg.bot")).not_to_have_count(0)
    expect(transcript.locator("textarea")).to_have_count(0)
    shots(console.page, "earlier-transcript-read-only")
    transcript.get_by_role("button", name="Close").click()
    expect(transcript).to_have_count(0)
    expect(console.transcript).to_contain_text("My bill is much higher than usual this month")  # still on the chat

    # A page whose hash does not match its customer id: refused, nothing started.
    forged = signed_customer_on_demo_page(stack, new_tab, customer, sign("not the site's secret", customer))
    forged.ask("Show me my previous conversations")
    refused = forged.customer_rows.last
    expect(refused).to_have_class(re.compile("failed"), timeout=ANSWER_TIMEOUT_MS)
    expect(refused).to_contain_text("We couldn't confirm who you are, so the chat can't start.")
    assert forged.conversation_id() is None
    expect(forged.bot_rows).to_have_count(0)
    shots(forged.page, "unsigned-customer-refused")
    expect(card.get_by_test_id("previous-conversation")).to_have_count(1)
