"""Help and hand over, never instead; the passage that answers first. Through the real web app, Rasa
server, action server and Redis, then in a real browser: a stolen phone gets the article's urgent steps
at once with the hand-over (the queue when an advisor is online, a ticket when nobody is), and a question
about a detail of a long article gets the passage that answers, the whole article one click away."""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import httpx
import pytest
import redis
from playwright.sync_api import expect

from handoff.agents import save_agent
from handoff.connection import connect
from knowledge import redis_keys as keys
from ops.stack import Stack
from tests.e2e.browser import NewTab, Screenshots, Widget
from tests.e2e.handoff_clients import AgentClient, Customer, unique

pytestmark = pytest.mark.e2e

STOLEN_EN = "lumen/lost-stolen-phone-en"
STOLEN_FR = "lumen/lost-stolen-phone-fr"
ESIM_EN = "lumen/activate-sim-esim-en"
ESIM_QUESTION = "how do I scan the QR code for my eSIM?"

MakeAgent = Callable[[tuple[str, ...]], AgentClient]


@pytest.fixture
def make_agent(warm_stack: Stack) -> Iterator[MakeAgent]:
    """Advisors logged in (online) for the test, logged out after it."""
    made: list[AgentClient] = []

    def make(languages: tuple[str, ...]) -> AgentClient:
        username = unique("advisor")

        async def create() -> None:
            client = connect(warm_stack.urls["redis"])
            await save_agent(client, username, AgentClient.PASSWORD, username, list(languages))
            await client.aclose()

        asyncio.run(create())
        web = warm_stack.urls["web"]
        login = httpx.post(f"{web}/api/agent/login", json={"username": username, "password": AgentClient.PASSWORD})
        login.raise_for_status()
        made.append(AgentClient(web, username, login.json()["token"]))
        return made[-1]

    yield make
    for agent in made:
        agent.logout()


@pytest.fixture
def nobody_online(warm_stack: Stack) -> None:
    redis.Redis.from_url(warm_stack.urls["redis"]).delete(keys.PRESENCE)


def test_a_stolen_phone_with_nobody_online_gets_the_steps_at_once_then_a_ticket(
        warm_stack: Stack, nobody_online: None, make_agent: MakeAgent) -> None:
    web = warm_stack.urls["web"]
    customer = Customer(web)
    turn = customer.say("my phone was stolen")
    assert turn["owner"] == "bot"
    [reply] = turn["replies"]
    assert (reply["outcome"], reply["reason"], reply["article"], reply["route"]) == (
        "escalate", "sensitive", STOLEN_EN, "ticket")
    assert "+33 1 99 00 07 00" in reply["steps"] and "Block your SIM" in reply["steps"]
    assert reply["text"].startswith(reply["steps"]) and "email address or phone number" in reply["text"]
    [message] = turn["messages"]
    assert "<ol>" in message["html"] and "24/7" in message["html"]

    whole = httpx.get(f"{web}{reply['more_url']}")
    assert whole.status_code == 200 and "Find My" in whole.text  # beyond the steps: the whole article

    done = customer.say("jane.doe@example.com")
    assert [(r["outcome"], r["reason"]) for r in done["replies"]] == [("ticket", "sensitive")]
    ticket_id = done["replies"][0]["ticket"]

    # The advisor who follows the ticket up sees what the customer was told to do.
    advisor = make_agent(("en",))
    tickets = advisor.http.get("/api/agent/tickets").raise_for_status().json()
    ticket = next(t for t in tickets if t["ticket_id"] == ticket_id)
    assert ticket["reason"] == "sensitive"
    said = [m for m in ticket["transcript"] if m["kind"] == "bot"]
    assert said[0]["reply"]["steps"] == reply["steps"]


def test_a_stolen_phone_with_an_advisor_online_gets_the_steps_at_once_and_the_queue(
        warm_stack: Stack, make_agent: MakeAgent) -> None:
    advisor = make_agent(("fr",))
    customer = Customer(warm_stack.urls["web"])
    turn = customer.say("on m'a volé mon téléphone, je fais quoi ?")
    assert turn["owner"] == "queued"
    [reply] = turn["replies"]
    assert (reply["outcome"], reply["reason"], reply["article"], reply["route"], reply["lang"]) == (
        "escalate", "sensitive", STOLEN_FR, "agent", "fr")
    assert "01 99 00 07 00" in reply["steps"] and "Bloquez votre SIM" in reply["steps"]
    assert reply["text"].startswith(reply["steps"]) and "conseiller" in reply["text"].removeprefix(reply["steps"])
    assert reply["more_url"] == f"/help/{STOLEN_FR}"

    entry = next(e for e in advisor.queue() if e["conversation_id"] == customer.conversation_id)
    assert entry["reason"] == "sensitive"
    package = advisor.package(customer.conversation_id)
    assert package["bot"]["article"] == STOLEN_FR
    assert any(m.get("reply", {}).get("steps") == reply["steps"] for m in package["transcript"])


def test_a_detail_of_a_long_article_is_answered_with_its_passage_and_the_whole_article_linked(warm_stack: Stack) -> None:
    web = warm_stack.urls["web"]
    turn = Customer(web).say(ESIM_QUESTION)
    [reply] = turn["replies"]
    assert (reply["outcome"], reply["article"]) == ("answer", ESIM_EN)
    assert "Get my QR code" in reply["text"] and "Keeping your number" not in reply["text"]
    assert reply["more_url"] == f"/help/{ESIM_EN}"
    whole = httpx.get(f"{web}{reply['more_url']}")
    assert whole.status_code == 200 and "Keeping your number" in whole.text and "Get my QR code" in whole.text


@pytest.mark.browser
def test_the_widget_marks_the_urgent_steps_and_links_the_whole_article_then_takes_a_contact(
        warm_stack: Stack, nobody_online: None, new_tab: NewTab, shots: Screenshots) -> None:
    tab = new_tab()
    page = tab.page
    page.goto(f"{warm_stack.urls['web']}/demo?lang=en")
    widget = Widget(page)
    widget.open()
    widget.ask("my phone was stolen")
    reply = widget.wait_for_bot_replies(1)
    bubble = reply.locator(".bubble.urgent")
    expect(bubble).to_be_visible()
    expect(bubble.locator(".urgent-label")).to_have_text("Do this now")
    expect(bubble.locator(".answer ol li")).to_have_count(3)
    expect(bubble.locator(".answer")).to_contain_text("+33 1 99 00 07 00")
    expect(bubble.locator(".answer")).to_contain_text("No advisor is available right now")
    link = bubble.locator("a.source.more")
    expect(link).to_have_attribute("href", f"{warm_stack.urls['web']}/help/{STOLEN_EN}")
    expect(link).to_contain_text("Read the full article")
    expect(reply.locator(".feedback")).to_have_count(0)  # a hand-over is not an answer to rate
    shots(page, "stolen-phone-steps")

    widget.ask("jane.doe@example.com")
    filed = widget.wait_for_bot_replies(2)
    expect(filed).to_contain_text("jane.doe@example.com")
    expect(bubble).to_be_visible()  # the steps stay in the conversation, above
    shots(page, "ticket-filed")
    assert tab.errors == [] and tab.dialogs == []


@pytest.mark.browser
def test_the_widget_shows_the_passage_first_and_opens_the_whole_article(
        warm_stack: Stack, new_tab: NewTab, shots: Screenshots) -> None:
    tab = new_tab()
    page = tab.page
    page.goto(f"{warm_stack.urls['web']}/demo?lang=en")
    widget = Widget(page)
    widget.open()
    widget.ask(ESIM_QUESTION)
    answer = widget.wait_for_bot_replies(1)
    expect(answer.locator(".answer")).to_contain_text("Get my QR code")
    expect(answer.locator(".answer")).not_to_contain_text("Keeping your number")
    link = answer.locator("a.source.more")
    expect(link).to_contain_text("Read the full article: Activate your eSIM or new SIM card")
    expect(answer.locator(".feedback")).to_be_visible()
    shots(page, "passage-answer")

    with page.context.expect_page() as opened:
        link.click()
    article_page = opened.value
    article_page.wait_for_load_state()
    expect(article_page.locator("h1")).to_have_text("Activate your eSIM or new SIM card")
    expect(article_page.locator("main")).to_contain_text("Keeping your number")
    shots(article_page, "whole-article")
    assert tab.errors == [] and tab.dialogs == []
