"""Answering tickets in the advisor console (issue 17), in a real browser against the real stack, whose
web app sends email through a real SMTP server (aiosmtpd, tests/smtp_server.py): an agent answers an
email ticket and the server receives it; the mail server down, the reply is kept as failed and sent
again from the history; a phone ticket is called back with a note and marked done."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from handoff.connection import connect
from handoff.tickets import file_ticket
from ops.stack import STACK_SMTP_FROM, Stack
from tests.e2e.browser import Console, MakeAccount, NewTab, Screenshots, run_async
from tests.e2e.handoff_clients import Customer
from tests.smtp_server import SmtpServer

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def ticket_from(stack: Stack, question: str, contact: str, lang: str) -> str:
    """A customer asked `question` (the bot answered), then left `contact`: the ticket's id."""
    customer = Customer(stack.urls["web"])
    customer.say(question, lang=lang)
    filed: list[str] = []

    async def file() -> None:
        client = connect(stack.urls["redis"])
        filed.append((await file_ticket(client, customer.conversation_id, contact, lang, "customer_request")).ticket_id)
        await client.aclose()

    run_async(file)
    return filed[0]


def console_on_a_new_ticket(stack: Stack, console: Console, question: str, contact: str, lang: str) -> str:
    """The logged-in `console` opens the ticket a customer who asked `question` left `contact` on: its id."""
    ticket_id = ticket_from(stack, question, contact, lang)
    console.page.locator("#tab-tickets").click()
    console.page.locator(f"#list .item[data-id='{ticket_id}']").click()
    expect(console.page.locator("#conversation h2")).to_have_text(f"Ticket {ticket_id}")
    expect(console.page.locator("#ticket-answer")).to_be_visible()
    return ticket_id


def test_an_agent_answers_an_email_ticket_and_the_mail_server_receives_it(
        stack: Stack, smtp_server: SmtpServer, new_tab: NewTab, make_account: MakeAccount, shots: Screenshots) -> None:
    console = Console(new_tab().page, stack.urls["web"])
    console.log_in(make_account("Alice Martin"))
    before = len(smtp_server.inbox)
    ticket_id = console_on_a_new_ticket(stack, console, "Comment réinitialiser mon mot de passe ?", "claire@example.com", "fr")
    expect(console.transcript).to_contain_text("Comment réinitialiser mon mot de passe ?")
    history = console.page.get_by_test_id("ticket-history")
    expect(history).to_contain_text("No reply yet.")
    reply = console.page.get_by_label("Reply by email to claire@example.com")
    reply.fill("Votre mot de passe a été réinitialisé.\nÀ bientôt !")
    shots(console.page, "reply-written")
    console.page.get_by_role("button", name="Send email").click()
    expect(console.page.locator("#toast")).to_have_text("Email sent.")
    entry = history.get_by_test_id("history-entry")
    expect(entry).to_have_count(1)
    expect(entry.get_by_test_id("delivery")).to_have_text("Sent")
    expect(entry).to_contain_text("Alice Martin")
    expect(entry.locator(".text")).to_have_text("Votre mot de passe a été réinitialisé.\nÀ bientôt !")
    expect(reply).to_have_value("")
    shots(console.page, "reply-sent")

    [mail] = smtp_server.wait_for(before + 1)[before:]
    assert mail.rcpt_tos == ["claire@example.com"] and mail.message["From"] == STACK_SMTP_FROM
    assert mail.message["Subject"] == f"[{ticket_id}] Réponse à votre demande"
    assert mail.body.splitlines() == ["Bonjour,", "", "Votre mot de passe a été réinitialisé.", "À bientôt !", "",
                                      "Cordialement,", "Alice Martin", "Lumen Mobile", "", f"Référence : {ticket_id}"]


def test_the_mail_server_down_the_reply_is_kept_as_failed_and_sent_again(
        stack: Stack, smtp_server: SmtpServer, new_tab: NewTab, make_account: MakeAccount, shots: Screenshots) -> None:
    console = Console(new_tab().page, stack.urls["web"])
    console.log_in(make_account("Bruno"))
    ticket_id = console_on_a_new_ticket(stack, console, "How do I reset my password?", "sam@example.org", "en")

    smtp_server.stop()
    try:
        console.page.get_by_label("Reply by email to sam@example.org").fill("Your password is reset.")
        console.page.get_by_role("button", name="Send email").click()
        expect(console.page.locator("#ticket-answer-error")).to_contain_text(
            re.compile(r"^Email not sent: could not reach the mail server .* kept in the ticket's history as failed"))
        entry = console.page.get_by_test_id("history-entry")
        expect(entry.get_by_test_id("delivery")).to_have_text("Failed")
        expect(entry.locator(".error")).to_contain_text("Connection refused")
        shots(console.page, "reply-failed")
    finally:
        smtp_server.start()
    before = len(smtp_server.inbox)
    entry.get_by_role("button", name="Send again").click()
    expect(entry.get_by_test_id("delivery")).to_have_text("Sent")
    expect(entry).to_contain_text("2 attempts")
    expect(entry.get_by_role("button", name="Send again")).to_have_count(0)
    expect(console.page.locator("#ticket-answer-error")).to_be_empty()
    shots(console.page, "reply-sent-again")
    [mail] = smtp_server.wait_for(before + 1)[before:]
    assert mail.message["Subject"] == f"[{ticket_id}] Reply to your request"
    assert "Hello,\n\nYour password is reset.\n\nBest regards,\nBruno\n" in mail.body


def test_a_phone_ticket_is_called_back_with_a_note_and_marked_done(
        stack: Stack, smtp_server: SmtpServer, new_tab: NewTab, make_account: MakeAccount, shots: Screenshots) -> None:
    console = Console(new_tab(locale="fr-FR").page, stack.urls["web"])
    console.log_in(make_account("Chloé"))
    before = len(smtp_server.inbox)
    ticket_id = console_on_a_new_ticket(stack, console, "Comment réinitialiser mon mot de passe ?", "+33 6 12 34 56 78", "fr")

    note = console.page.get_by_label("Rappelez le client au +33 6 12 34 56 78, puis notez ce qui a été dit")
    note.fill("Pas de réponse, message laissé")
    console.page.get_by_role("button", name="Rappel effectué").click()
    expect(console.page.locator("#toast")).to_have_text("Rappel noté.")
    entry = console.page.get_by_test_id("history-entry")
    expect(entry.get_by_test_id("delivery")).to_have_text("Noté")
    expect(entry.locator(".text")).to_have_text("Pas de réponse, message laissé")
    shots(console.page, "first-call-noted")

    note.fill("Facture expliquée au client")
    console.page.get_by_label("Marquer le ticket comme traité").check()
    console.page.get_by_role("button", name="Rappel effectué").click()
    expect(console.page.locator(f"#list .item[data-id='{ticket_id}']")).to_have_count(0)
    expect(console.page.locator("#ticket-answer")).to_have_count(0)
    shots(console.page, "ticket-done")
    assert len(smtp_server.inbox) == before
