"""The advisor console and the widget together in a real browser (chromium), against the real stack."""
from __future__ import annotations

import re

import httpx
import pytest
import redis
from playwright.sync_api import expect

from knowledge import redis_keys as keys
from knowledge.unanswered.events import STREAM
from ops.stack import Stack
from tests.e2e.handoff_clients import unique
from tests.e2e.browser import ANSWER_TIMEOUT_MS, Console, MakeAccount, NewTab, Screenshots, Widget

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

XSS = "<img src=x onerror=alert(1)>"


def customer_on_demo_page(stack: Stack, new_tab: NewTab, lang: str = "en") -> Widget:
    tab = new_tab()
    tab.page.goto(f"{stack.urls['web']}/demo?lang={lang}")
    widget = Widget(tab.page)
    widget.open()
    return widget


def unanswered_events(stack: Stack, conversation_id: str) -> list[dict[str, str]]:
    """The content team's list (knowledge/unanswered/events.py) for one conversation."""
    client = redis.Redis.from_url(stack.urls["redis"], decode_responses=True)
    return [fields for _, fields in client.xrange(STREAM) if fields.get("conversation_id") == conversation_id]


def test_customer_asks_for_a_person_the_agent_claims_replies_and_hands_back(
        stack: Stack, new_tab: NewTab, make_account: MakeAccount, shots: Screenshots) -> None:
    alice = make_account("Alice")
    console = Console(new_tab().page, stack.urls["web"])
    console.log_in(alice)
    shots(console.page, "console-logged-in")

    widget = customer_on_demo_page(stack, new_tab)
    widget.ask("My bill is much higher than usual this month")
    widget.wait_until_sent()
    expect(widget.bot_rows).not_to_have_count(0, timeout=ANSWER_TIMEOUT_MS)
    widget.human.click()
    expect(widget.banner).to_contain_text(re.compile(r"You're (next|number \d+) in line"), timeout=ANSWER_TIMEOUT_MS)
    expect(widget.banner).to_contain_text("estimated wait")
    expect(widget.customer_rows.last).to_have_text(re.compile("Talk to a person"))
    expect(widget.log.locator(".system")).to_contain_text("You're in line for an advisor")
    shots(widget.page, "customer-waiting")

    conversation_id = widget.conversation_id()
    item = console.queue_item(conversation_id)
    expect(item).to_be_visible()
    expect(item).to_contain_text("Asked for a person")
    expect(item.locator(".chip.lang")).to_have_text("en")
    waited = item.locator(".waited").inner_text()
    expect(item.locator(".waited")).not_to_have_text(waited, timeout=5000)  # the waiting time ticks
    shots(console.page, "queue-shows-the-chat")

    console.take(conversation_id)
    expect(item).to_have_count(0)
    expect(console.transcript).to_contain_text("My bill is much higher than usual this month")
    expect(console.page.get_by_test_id("owner")).to_have_text("With you")
    expect(console.suggestions.first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    shots(console.page, "claimed-with-transcript-and-suggestions")

    expect(widget.header).to_contain_text("Alice", timeout=ANSWER_TIMEOUT_MS)
    expect(widget.log.locator(".system")).to_contain_text(["Alice joined the conversation"])

    # Typing, both ways.
    widget.input.press_sequentially("Are you th")
    expect(console.page.locator("#typing")).to_have_text("The customer is typing…")
    console.reply_box.press_sequentially("Let me check")
    expect(widget.typing).to_have_text("Alice is typing…")
    shots(widget.page, "customer-sees-agent-typing")
    widget.input.fill("")

    suggestion = console.suggestions.first
    suggestion_text = suggestion.locator(".text").inner_text()
    console.reply_box.fill("")
    suggestion.get_by_role("button", name=re.compile(r"^Insert: ")).click()
    expect(console.reply_box).to_have_value(suggestion_text)
    console.reply_box.fill("Hello, I'm Alice. I'm looking at your bill now.")
    console.reply_box.press("Enter")
    expect(console.transcript.locator(".msg.agent")).to_have_count(1)
    shots(console.page, "agent-replied")

    # The reply just sent goes to the content team's list as a suggested article.
    console.page.get_by_role("button", name="Suggest as article").click()
    expect(console.page.locator("#toast")).to_have_text("Sent to the content team.")
    suggested = [e for e in unanswered_events(stack, conversation_id) if e["outcome"] == "suggested"]
    assert [(e["question"], e["answer"], e["agent"]) for e in suggested] == [
        ("My bill is much higher than usual this month", "Hello, I'm Alice. I'm looking at your bill now.", alice.username)]

    reply = widget.agent_rows.first
    expect(reply).to_contain_text("Hello, I'm Alice. I'm looking at your bill now.")
    expect(reply.locator(".name")).to_have_text("Alice")
    expect(widget.banner).to_have_text("You're chatting with Alice")
    widget.ask("Thanks, that was quick!")
    expect(console.transcript.locator(".msg.customer").last).to_have_text(re.compile("Thanks, that was quick!"))
    shots(widget.page, "customer-sees-agent-reply")

    console.hand_back()
    expect(widget.log.locator(".system").last).to_have_text("The virtual assistant is back: ask me anything")
    shots(console.page, "handed-back")

    bot_replies = widget.bot_rows.count()
    widget.ask("How do I reset my password?")
    answer = widget.wait_for_bot_replies(bot_replies + 1)
    expect(answer.locator("a.source")).to_contain_text("Reset your password")
    expect(widget.banner).to_be_hidden()
    shots(widget.page, "bot-answers-again")


def test_reloading_the_customer_page_keeps_the_whole_history_once(
        stack: Stack, new_tab: NewTab, make_account: MakeAccount, shots: Screenshots) -> None:
    bruno = make_account("Bruno")
    console = Console(new_tab().page, stack.urls["web"])
    console.log_in(bruno)
    widget = customer_on_demo_page(stack, new_tab)
    widget.ask("How do I reset my password?")
    widget.wait_for_bot_replies(1)
    widget.human.click()
    expect(widget.banner).to_contain_text("in line", timeout=ANSWER_TIMEOUT_MS)
    conversation_id = widget.conversation_id()
    console.take(conversation_id)
    console.send("Hi, Bruno here. How can I help?")
    expect(widget.agent_rows).to_have_count(1)
    widget.ask("I can't log in to the app")
    widget.wait_until_sent()
    expect(console.transcript).to_contain_text("I can't log in to the app")
    before = widget.log.locator(".row, .system").all_inner_texts()
    ids_before = widget.shown_ids()
    shots(widget.page, "before-reload")

    widget.page.reload()
    reloaded = Widget(widget.page)
    expect(reloaded.panel).to_be_visible()  # it was open: it opens again
    expect(reloaded.agent_rows).to_have_count(1)
    expect(reloaded.header).to_contain_text("Bruno")
    assert reloaded.conversation_id() == conversation_id
    assert reloaded.log.locator(".row, .system").all_inner_texts() == before
    assert reloaded.shown_ids() == ids_before
    shots(reloaded.page, "after-reload")

    console.send("Thanks for waiting: your access is unlocked.")
    expect(reloaded.agent_rows).to_have_count(2)
    ids = reloaded.shown_ids()
    assert len(ids) == len(set(ids)) == len(ids_before) + 1
    shots(reloaded.page, "live-after-reload")
    console.page.get_by_role("button", name="Close", exact=True).click()
    console.page.get_by_role("radio", name="Resolved", exact=True).check()
    console.page.get_by_role("button", name="Confirm").click()
    expect(console.page.get_by_test_id("owner")).to_have_text("Closed")
    expect(reloaded.log.locator(".system").last).to_contain_text("This conversation was closed")


def test_markup_a_customer_types_shows_as_text_in_the_console(
        stack: Stack, new_tab: NewTab, make_account: MakeAccount, shots: Screenshots) -> None:
    chloe = make_account("Chloé")
    console_tab = new_tab(locale="fr-FR")
    console = Console(console_tab.page, stack.urls["web"])
    console.log_in(chloe)
    customer_tab = new_tab()
    customer_tab.page.goto(f"{stack.urls['web']}/demo?lang=en")
    widget = Widget(customer_tab.page)
    widget.open()
    widget.human.click()
    expect(widget.banner).to_contain_text("in line", timeout=ANSWER_TIMEOUT_MS)
    widget.ask(XSS)
    widget.wait_until_sent()
    expect(widget.customer_rows.last.locator(".bubble")).to_have_text(XSS)

    conversation_id = widget.conversation_id()
    console.queue_item(conversation_id).click()  # preview before taking it
    expect(console.transcript.locator(".msg.customer .bubble", has_text=XSS)).to_have_text(XSS)
    console.take(conversation_id)
    shown = console.transcript.locator(".msg.customer .bubble").last
    expect(shown).to_have_text(XSS)
    expect(shown).to_be_visible()
    assert console.transcript.locator("img").count() == 0
    assert widget.log.locator("img").count() == 0
    console.page.wait_for_timeout(500)  # an onerror handler would have fired by now
    shots(console.page, "markup-shown-as-text")
    shots(widget.page, "markup-shown-as-text-customer")
    assert console_tab.dialogs == [] and customer_tab.dialogs == []
    assert console_tab.errors == [] and customer_tab.errors == []
    # The console followed the browser's language (fr-FR).
    expect(console.page.get_by_role("button", name="Rendre au bot")).to_be_visible()
    console.hand_back("fr")


def test_a_chat_claimed_by_one_agent_disappears_from_the_other_agents_queue(
        stack: Stack, new_tab: NewTab, make_account: MakeAccount, shots: Screenshots) -> None:
    first, second = make_account("Dana"), make_account("Eliott")
    dana = Console(new_tab().page, stack.urls["web"])
    eliott = Console(new_tab().page, stack.urls["web"])
    dana.log_in(first)
    eliott.log_in(second)
    eliott.page.locator("#app-lang").select_option("fr")  # the switch
    expect(eliott.page.get_by_role("tab", name=re.compile("^File"))).to_be_visible()

    widget = customer_on_demo_page(stack, new_tab, lang="fr")
    widget.ask("Je veux parler à un conseiller")
    expect(widget.banner).to_contain_text(re.compile("(prochain|dans la file)"), timeout=ANSWER_TIMEOUT_MS)
    conversation_id = widget.conversation_id()
    expect(dana.queue_item(conversation_id)).to_be_visible()
    expect(eliott.queue_item(conversation_id)).to_be_visible()
    expect(eliott.queue_item(conversation_id)).to_contain_text("Demande un conseiller")
    eliott.queue_item(conversation_id).click()  # Eliott looks at it...
    expect(eliott.page.get_by_role("button", name="Prendre cette discussion")).to_be_visible()
    shots(eliott.page, "both-see-the-chat")

    dana.take(conversation_id)  # ...Dana takes it
    expect(eliott.queue_item(conversation_id)).to_have_count(0)
    expect(eliott.page.get_by_test_id("owner")).to_have_text("Avec Dana")
    expect(eliott.page.locator("#composer-slot")).to_contain_text("Dana s'occupe de cette discussion.")
    shots(eliott.page, "gone-from-the-other-queue")
    shots(dana.page, "claimed-by-dana")
    stored = httpx.get(f"{stack.urls['web']}/api/conversations/{conversation_id}").json()
    assert (stored["owner"], stored["agent_name"]) == ("agent", "Dana")
    expect(widget.header).to_contain_text("Dana")

    dana.page.get_by_role("button", name="Transfer").click()
    dana.page.get_by_role("combobox", name="Transfer to").select_option(second.username)
    dana.page.get_by_role("button", name="Confirm").click()
    expect(eliott.page.locator("#count-mine")).to_have_text("1")
    expect(widget.log.locator(".system").last).to_have_text("Votre conversation a été confiée à Eliott")
    shots(widget.page, "transferred-customer-view")
    eliott.page.get_by_role("tab", name=re.compile("^Mes discussions")).click()
    eliott.page.get_by_test_id("mine-item").filter(has_text=conversation_id[:6]).click()
    eliott.send("Bonjour, Eliott à votre service.")
    expect(widget.agent_rows.last).to_contain_text("Eliott à votre service")
    eliott.hand_back("fr")


def test_a_claim_that_lost_the_race_says_the_chat_is_already_taken(
        stack: Stack, new_tab: NewTab, make_account: MakeAccount, shots: Screenshots) -> None:
    first, second = make_account("Farid"), make_account("Gaëlle")
    farid = Console(new_tab().page, stack.urls["web"])
    farid.log_in(first)
    gaelle_tab = new_tab()
    gaelle_tab.page.route("**/api/agent/events", lambda route: route.abort())  # her queue will not hear of the claim
    gaelle = Console(gaelle_tab.page, stack.urls["web"])
    gaelle.page.goto(f"{stack.urls['web']}/console")
    gaelle.page.locator("#login-username").fill(second.username)
    gaelle.page.locator("#login-password").fill(second.password)
    gaelle.page.locator("#login-form button[type=submit]").click()
    expect(gaelle.page.locator("#me")).to_contain_text("Gaëlle")

    widget = customer_on_demo_page(stack, new_tab)
    widget.human.click()
    expect(widget.banner).to_contain_text("in line", timeout=ANSWER_TIMEOUT_MS)
    conversation_id = widget.conversation_id()
    gaelle.page.get_by_role("tab", name=re.compile("^Queue")).click()  # fetches the queue once
    expect(gaelle.queue_item(conversation_id)).to_be_visible()
    farid.take(conversation_id)

    gaelle.queue_item(conversation_id).get_by_role("button", name=re.compile("^Take")).click()
    expect(gaelle.page.locator("#toast")).to_have_text("Already taken by another advisor.")
    expect(gaelle.queue_item(conversation_id)).to_have_count(0)
    shots(gaelle.page, "already-taken")
    assert httpx.get(f"{stack.urls['web']}/api/conversations/{conversation_id}").json()["agent_name"] == "Farid"
    farid.hand_back()
    farid.page.get_by_role("button", name="Log out").click()
    expect(farid.page.locator("#login-form")).to_be_visible()
    assert farid.page.request.get(f"{stack.urls['web']}/api/agent/me").status == 401


def test_with_nobody_online_the_customer_leaves_contact_details_and_the_ticket_shows_in_the_console(
        stack: Stack, new_tab: NewTab, make_account: MakeAccount, shots: Screenshots) -> None:
    redis.Redis.from_url(stack.urls["redis"]).delete(keys.PRESENCE)  # every console of earlier tests is closed
    widget = customer_on_demo_page(stack, new_tab)
    widget.human.click()
    asked = widget.wait_for_bot_replies(1)
    expect(asked).to_contain_text("email")
    expect(widget.banner).to_be_hidden()
    email = f"{unique('customer')}@example.com"
    widget.ask(email)
    expect(widget.bot_rows).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
    shots(widget.page, "ticket-filed")

    console = Console(new_tab().page, stack.urls["web"])
    console.log_in(make_account("Hugo"))
    console.page.get_by_role("tab", name=re.compile("^Tickets")).click()
    ticket = console.page.get_by_test_id("ticket-item").filter(has_text=email)
    expect(ticket).to_have_count(1)
    ticket.click()
    expect(console.transcript).to_contain_text(email)
    expect(console.page.locator("#context")).to_contain_text(email)
    shots(console.page, "ticket-in-console")
    console.page.get_by_role("button", name="Mark as done").click()
    expect(ticket).to_have_count(0)


def test_suggestions_after_asking_for_a_person_come_from_the_question_before_and_insert_the_whole_answer(
        stack: Stack, new_tab: NewTab, make_account: MakeAccount, shots: Screenshots) -> None:
    widget = customer_on_demo_page(stack, new_tab)
    widget.ask("Why is my bill higher this month?")
    widget.wait_for_bot_replies(1)
    # An advisor online by the time the customer asks for one: the chat is queued, not ticketed.
    console = Console(new_tab().page, stack.urls["web"])
    console.log_in(make_account("Alice"))
    widget.ask("I want to speak to a human")
    expect(widget.banner).to_contain_text(re.compile(r"You're (next|number \d+) in line"), timeout=ANSWER_TIMEOUT_MS)

    console.take(widget.conversation_id())
    first = console.suggestions.first
    expect(first).to_have_attribute("data-article", "lumen/understand-bill-en", timeout=ANSWER_TIMEOUT_MS)
    expect(first).to_contain_text("For: “Why is my bill higher this month?”")
    expect(first.get_by_test_id("passage")).to_be_visible()
    expect(console.page.get_by_test_id("summary")).to_contain_text("Why is my bill higher this month?")
    shots(console.page, "suggestions-from-the-question-before-the-request-for-a-person")

    first.get_by_role("button", name=re.compile(r"^Insert: ")).click()
    inserted = console.reply_box.input_value()
    # Main cut the article at "…a prorated amount for the days…": the whole answer is inserted.
    assert "a prorated amount for the days between activation and the end of that month" in inserted
    assert inserted.endswith("tick Show detailed usage in My bills.")
