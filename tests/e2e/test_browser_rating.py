"""The widget's 1-5 rating of a conversation, in a real browser against the real stack: asked when the bot
says goodbye and when an advisor closes the chat, posted once, and not asked again for that conversation."""
from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import expect

from ops.stack import Stack
from tests.e2e.browser import MakeAccount, NewTab, Screenshots, Widget
from tests.e2e.handoff_clients import AgentClient

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_the_bots_goodbye_asks_for_a_rating_once(stack: Stack, new_tab: NewTab, shots: Screenshots) -> None:
    page = new_tab(locale="fr-FR").page
    page.goto(f"{stack.urls['web']}/demo?lang=fr")
    widget = Widget(page)
    widget.open()
    widget.ask("merci")
    widget.wait_for_bot_replies(1)
    rating = widget.log.get_by_role("group", name="Comment évaluez-vous cette conversation ?")
    expect(rating).to_have_count(0)  # "anything else?" does not end the conversation
    widget.ask("non")
    widget.wait_for_bot_replies(2)
    expect(rating).to_be_visible()
    expect(rating.get_by_role("button")).to_have_count(5)
    shots(page, "rating-asked")

    with page.expect_response(lambda response: response.url.endswith("/rating")) as posted:
        rating.get_by_role("button", name="4 sur 5").click()
    assert posted.value.status == 204
    assert json.loads(posted.value.request.post_data or "{}") == {"rating": 4, "lang": "fr"}
    expect(widget.log).to_contain_text("Merci pour votre note !")
    shots(page, "rating-thanks")

    page.reload()
    widget = Widget(page)
    expect(widget.panel).to_be_visible()  # it was open: it opens again by itself
    expect(widget.bot_rows).to_have_count(2)  # the goodbye is back from the history; the question is not
    expect(widget.log.locator("[data-rating]")).to_have_count(0)


def test_an_advisor_closing_the_chat_gets_it_rated(stack: Stack, new_tab: NewTab, shots: Screenshots,
                                                    make_account: MakeAccount) -> None:
    account = make_account("Rating Advisor")
    login = httpx.post(f"{stack.urls['web']}/api/agent/login", json={"username": account.username, "password": account.password})
    agent = AgentClient(stack.urls["web"], account.username, login.raise_for_status().json()["token"])
    page = new_tab().page
    page.goto(f"{stack.urls['web']}/demo?lang=en")
    widget = Widget(page)
    widget.open()
    widget.ask("I want to talk to a person")
    widget.wait_for_bot_replies(1)
    expect(widget.banner).to_contain_text("line")
    conversation = widget.conversation_id()
    assert agent.claim(conversation).status_code == 200
    agent.http.post(f"/api/agent/conversations/{conversation}/close", json={"resolution": "resolved"}).raise_for_status()
    agent.logout()

    rating = widget.log.get_by_role("group", name="How would you rate this conversation?")
    expect(rating).to_be_visible()
    shots(page, "rating-after-close")
    rating.get_by_role("button", name="5 out of 5").focus()
    page.keyboard.press("Enter")
    expect(widget.log).to_contain_text("Thank you for your rating!")
