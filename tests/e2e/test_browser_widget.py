"""The chat widget in a real browser (chromium), on the demo page, against the real stack."""
from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Locator, Page, Route, expect

from ops.stack import Stack
from tests.e2e.browser import ANSWER_TIMEOUT_MS, MakeAccount, NewTab, Screenshots, Widget
from tests.e2e.handoff_clients import AgentClient

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.mark.parametrize(("lang", "question", "article", "title", "greeting", "helpful", "thanks"), [
    ("en", "How do I reset my password?", "lumen/reset-password-en", "Reset your password",
     "I'm Lumen Mobile's virtual assistant", "Was this helpful?", "Thanks for your feedback!"),
    ("fr", "Comment suivre ma commande ? Je ne sais pas où est mon colis", "lumen/track-order-fr",
     "Suivre votre commande",
     "Je suis l'assistant virtuel de Lumen Mobile", "Cette réponse vous a-t-elle aidé ?", "Merci pour votre avis !"),
], ids=["en", "fr"])
def test_a_question_on_the_demo_page_gets_an_answer_with_a_working_source_link(
        stack: Stack, new_tab: NewTab, shots: Screenshots,
        lang: str, question: str, article: str, title: str, greeting: str, helpful: str, thanks: str) -> None:
    tab = new_tab()
    page = tab.page
    page.goto(f"{stack.urls['web']}/demo?lang={lang}")
    widget = Widget(page)
    expect(widget.launcher).to_be_visible()
    shots(page, "demo-page")

    widget.open()
    expect(widget.log).to_contain_text(greeting)
    expect(widget.log).to_have_attribute("role", "log")
    expect(widget.log).to_have_attribute("aria-live", "polite")
    shots(page, "greeting")

    widget.ask(question)
    answer = widget.wait_for_bot_replies(1)
    expect(widget.customer_rows).to_have_count(1)
    expect(widget.customer_rows.first).to_contain_text(question)
    source = answer.locator("a.source")
    expect(source).to_have_attribute("href", f"{stack.urls['web']}/help/{article}")
    expect(source).to_contain_text(title)
    expect(answer.locator(".answer ol, .answer p").first).to_be_visible()  # the server's Markdown, rendered
    expect(answer.get_by_role("group", name=helpful)).to_be_visible()
    shots(page, "answer")

    with page.context.expect_page() as opened:
        source.click()
    article_page = opened.value
    article_page.wait_for_load_state()
    expect(article_page.locator("h1")).to_have_text(title)
    expect(article_page).to_have_title(title)
    assert article_page.evaluate("document.documentElement.lang") == lang
    shots(article_page, "source-article")
    article_page.close()

    answer.get_by_role("button", name=re.compile("^(This answer was helpful|Cette réponse m'a aidé)")).click()
    expect(answer.locator(".feedback")).to_have_text(thanks)
    shots(page, "rated-helpful")
    conversation = httpx.get(f"{stack.urls['web']}/api/conversations/{widget.conversation_id()}/messages").json()
    rated = [m for m in conversation if m["kind"] == "feedback"]
    assert [(m["details"]["for"], m["details"]["helpful"]) for m in rated] == [(answer.get_attribute("data-id"), "yes")]
    assert tab.errors == [] and tab.dialogs == []


def test_the_widget_is_keyboard_usable_and_labelled(stack: Stack, new_tab: NewTab, shots: Screenshots) -> None:
    page = new_tab().page
    page.goto(f"{stack.urls['web']}/demo?lang=en")
    widget = Widget(page)
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    widget.launcher.focus()
    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    expect(widget.launcher).to_have_attribute("aria-expanded", "true")
    expect(widget.input).to_be_focused()
    expect(page.get_by_role("dialog", name="Lumen Mobile")).to_be_visible()
    expect(page.get_by_role("button", name="Talk to a person")).to_be_visible()
    expect(page.get_by_role("textbox", name="Your message")).to_be_visible()
    shots(page, "open-with-keyboard")
    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    expect(widget.launcher).to_be_focused()
    shots(page, "closed-with-escape")


def test_a_message_whose_response_was_lost_is_retried_and_stored_once(
        stack: Stack, new_tab: NewTab, shots: Screenshots) -> None:
    page = new_tab().page
    # The live feed is down too, so only the retried request can bring the answer.
    page.route(re.compile(r".*/api/conversations/[^/]+/events.*"), lambda route: route.abort())
    page.goto(f"{stack.urls['web']}/demo?lang=en")
    widget = Widget(page)
    widget.open()
    posted: list[str] = []

    def lose_the_first_response(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        posted.append(route.request.post_data_json["client_id"])
        if len(posted) == 1:
            route.fetch()  # the server stores the message and answers...
            route.abort("connectionreset")  # ...but the answer never reaches the page
        else:
            route.continue_()

    page.route(re.compile(r".*/api/conversations/[^/]+/messages$"), lose_the_first_response)
    widget.ask("How do I reset my password?")
    widget.wait_for_bot_replies(1)
    widget.wait_until_sent()
    shots(page, "answered-after-retry")
    assert len(posted) == 2 and posted[0] == posted[1] and len(posted[0]) >= 32
    expect(widget.customer_rows).to_have_count(1)
    expect(widget.bot_rows).to_have_count(1)
    stored = httpx.get(f"{stack.urls['web']}/api/conversations/{widget.conversation_id()}/messages").json()
    assert [m["text"] for m in stored if m["kind"] == "customer"] == ["How do I reset my password?"]
    assert len([m for m in stored if m["kind"] == "bot"]) == 1


def test_the_live_feed_resumes_after_the_web_app_crashes_without_repeating_anything(
        stack: Stack, new_tab: NewTab, make_account: MakeAccount, shots: Screenshots) -> None:
    account = make_account("Nadia")
    web = stack.urls["web"]
    login = httpx.post(f"{web}/api/agent/login", json={"username": account.username, "password": account.password})
    token = login.raise_for_status().json()["token"]
    agent = AgentClient(web, account.username, token)
    page = new_tab().page
    page.goto(f"{web}/demo?lang=en")
    widget = Widget(page)
    widget.open()
    widget.human.click()
    expect(widget.banner).to_contain_text("in line", timeout=ANSWER_TIMEOUT_MS)
    conversation_id = widget.conversation_id()
    assert agent.claim(conversation_id).json()["status"] == "ok"
    agent.send(conversation_id, "Hello, Nadia here.")
    expect(widget.agent_rows).to_have_count(1)

    # A crash drops every open connection. (A SIGTERM would wait for the live streams to end first.)
    stack.kill("web")
    stack.start_again("web")
    agent.send(conversation_id, "Sorry, we had a blip. Still there?")
    expect(widget.agent_rows).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
    expect(widget.agent_rows.nth(1)).to_contain_text("Still there?")
    shots(page, "resumed-after-restart")
    ids = widget.shown_ids()
    assert len(ids) == len(set(ids))
    agent.hand_back(conversation_id)
    agent.logout()


def _asked_on_the_demo_page(stack: Stack, new_tab: NewTab, question: str) -> tuple[Page, Widget, Locator]:
    """The demo page's widget, opened, after `question` and the bot's first reply to it."""
    page = new_tab().page
    page.goto(f"{stack.urls['web']}/demo?lang=en")
    widget = Widget(page)
    widget.open()
    widget.ask(question)
    return page, widget, widget.wait_for_bot_replies(1)


def test_quick_replies_send_their_payload_and_show_their_title(
        stack: Stack, new_tab: NewTab, shots: Screenshots) -> None:
    # The bot is unsure: it offers an advisor, yes or no.
    page, widget, offer = _asked_on_the_demo_page(stack, new_tab, "my connection is bad")
    choices = offer.locator(".quick button")
    expect(choices).to_have_text(["Yes", "No"])
    shots(page, "choices-offered")

    choices.nth(1).click()
    widget.wait_for_bot_replies(2)
    expect(widget.customer_rows.last.locator(".bubble")).to_have_text("No")
    expect(offer.locator(".quick")).to_be_hidden()
    shots(page, "choice-answered")
    stored = httpx.get(f"{stack.urls['web']}/api/conversations/{widget.conversation_id()}/messages").json()
    assert [m["text"] for m in stored if m["kind"] == "customer"] == ["my connection is bad", "/deny"]


def test_did_you_mean_offers_the_two_close_articles_and_the_choice_answers(
        stack: Stack, new_tab: NewTab, shots: Screenshots) -> None:
    # Between two articles: "Did you mean…?"
    page, widget, offer = _asked_on_the_demo_page(stack, new_tab, "my phone doesn't work")
    choices = offer.locator(".quick button")
    expect(choices).to_have_text(["No signal or network problems", "Defective device and warranty repair",
                                  "Something else: an advisor"])
    shots(page, "did-you-mean")

    choices.nth(0).click()
    widget.wait_for_bot_replies(2)
    expect(widget.customer_rows.last.locator(".bubble")).to_have_text("No signal or network problems")
    shots(page, "chosen-article-answered")
    stored = httpx.get(f"{stack.urls['web']}/api/conversations/{widget.conversation_id()}/messages").json()
    last_bot = [m for m in stored if m["kind"] == "bot"][-1]
    assert (last_bot["reply"]["outcome"], last_bot["reply"]["article"]) == ("answer", "lumen/no-signal-network-en")


def test_an_answer_rated_unhelpful_gets_the_bot_handing_over(stack: Stack, new_tab: NewTab, shots: Screenshots) -> None:
    page, widget, answer = _asked_on_the_demo_page(stack, new_tab, "How do I reset my password?")
    answer.get_by_role("button", name="This answer was not helpful").click()
    expect(answer.locator(".feedback")).to_have_text("Thanks for your feedback!")
    widget.wait_for_bot_replies(2)
    shots(page, "handing-over-after-no")
    stored = httpx.get(f"{stack.urls['web']}/api/conversations/{widget.conversation_id()}/messages").json()
    last_bot = [m for m in stored if m["kind"] == "bot"][-1]
    assert (last_bot["reply"]["outcome"], last_bot["reply"]["reason"]) == ("escalate", "not_helpful")
    assert [m["details"]["helpful"] for m in stored if m["kind"] == "feedback"] == ["no"]
