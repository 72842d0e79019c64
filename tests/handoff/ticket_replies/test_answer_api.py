"""Agents answering tickets through the API (handoff/web/tickets/answer_api.py), on a real Redis and a
real SMTP server (aiosmtpd): an email reply received as sent, the mail server down, a phone call back."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from handoff.safeguards.erasure import forget
from handoff.ticket_replies import history
from handoff.ticket_replies.history import Channel, Delivery
from handoff.tickets import Ticket, file_ticket
from knowledge import redis_keys as keys
from tests.handoff.conftest import online_agent
from tests.handoff.test_agent_routes import log_in
from tests.smtp_server import SmtpServer

# The test server takes a login over plain SMTP: what aiosmtpd warns about is the point here.
pytestmark = [pytest.mark.anyio, pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]

Auth = dict[str, str]
SENDER = "Lumen Mobile <help@lumen.example>"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(credentials=("bot@lumen.example", "p@ss:word")).start()
    yield server
    server.stop()


@pytest.fixture
def web_settings(smtp: SmtpServer) -> dict[str, Any]:
    # The password percent-encoded, as SMTP_URL carries it.
    return {"smtp_url": smtp.url.replace("p@ss:word", "p%40ss%3Aword").replace("bot@", "bot%40"),
            "smtp_from": SENDER, "ticket_reply_max_chars": 500, "smtp_timeout_s": 5}


@pytest.fixture
async def alice(web: httpx.AsyncClient, redis_client: Redis) -> Auth:
    await online_agent(redis_client, "alice", ["en", "fr"], name="Alice Martin")
    return await log_in(web, "alice")


async def ticket_of(web: httpx.AsyncClient, redis: Redis, contact: str, lang: str = "en") -> Ticket:
    conversation_id = (await web.post("/api/conversations")).json()["conversation_id"]
    await web.post(f"/api/conversations/{conversation_id}/messages", json={"text": "My bill is wrong"})
    return await file_ticket(redis, conversation_id, contact, lang, "customer_request")


def replies(ticket: Ticket) -> str:
    return f"/api/agent/tickets/{ticket.ticket_id}/replies"


async def test_an_email_reply_reaches_the_customer_and_the_history(
        web: httpx.AsyncClient, redis_client: Redis, smtp: SmtpServer, alice: Auth) -> None:
    ticket = await ticket_of(web, redis_client, "Claire@Example.com", lang="fr")
    transcript = keys.messages(ticket.conversation_id)
    await redis_client.expire(transcript, 60)  # as if the ticket had waited almost its whole retention
    sent = await web.post(replies(ticket), headers=alice, json={"text": "  Votre facture est corrigée.\nÀ bientôt  "})
    assert sent.status_code == 201, sent.text
    assert sent.json()["status"] == "sent" and sent.json()["attempts"] == 1

    [mail] = smtp.wait_for(1)
    assert mail.rcpt_tos == ["Claire@example.com"] and mail.mail_from == "help@lumen.example"
    assert mail.message["To"] == "Claire@example.com" and mail.message["From"] == SENDER
    assert mail.message["Subject"] == f"[{ticket.ticket_id}] Réponse à votre demande"
    assert mail.message["Message-ID"].strip().startswith(f"<{ticket.ticket_id}.R0001.")
    assert mail.body.splitlines() == ["Bonjour,", "", "Votre facture est corrigée.", "À bientôt", "", "Cordialement,",
                                      "Alice Martin", "Lumen Mobile", "", f"Référence : {ticket.ticket_id}"]

    view = (await web.get(f"/api/agent/tickets/{ticket.ticket_id}", headers=alice)).json()
    assert (view["channel"], view["email_enabled"], view["contact"]) == ("email", True, "Claire@Example.com")
    assert [m["text"] for m in view["transcript"] if m["kind"] == "customer"] == ["My bill is wrong"]
    [entry] = view["history"]
    assert {k: entry[k] for k in ("reply_id", "agent", "agent_name", "channel", "to", "text", "status", "error")} == {
        "reply_id": "R0001", "agent": "alice", "agent_name": "Alice Martin", "channel": "email",
        "to": "Claire@example.com", "text": "Votre facture est corrigée.\nÀ bientôt", "status": "sent", "error": None}
    assert entry["delivered_at_ms"] >= entry["at_ms"]
    # The history expires with the ticket.
    assert 0 < await redis_client.ttl(keys.ticket_history(ticket.ticket_id)) <= await redis_client.ttl(keys.ticket(ticket.ticket_id))
    # A reply keeps the ticket, and so its transcript, for the whole retention again.
    assert await redis_client.ttl(transcript) >= await redis_client.ttl(keys.ticket(ticket.ticket_id)) - 1


async def test_an_english_ticket_gets_an_english_email(
        web: httpx.AsyncClient, redis_client: Redis, smtp: SmtpServer, alice: Auth) -> None:
    ticket = await ticket_of(web, redis_client, "sam@example.org", lang="en")
    assert (await web.post(replies(ticket), headers=alice, json={"text": "Your bill is fixed."})).status_code == 201
    [mail] = smtp.wait_for(1)
    assert mail.message["Subject"] == f"[{ticket.ticket_id}] Reply to your request"
    assert mail.body.splitlines()[:3] == ["Hello,", "", "Your bill is fixed."]
    assert "Best regards,\nAlice Martin\nLumen Mobile\n\nReference: " in mail.body


async def test_the_mail_server_down_records_a_failed_reply_that_a_retry_sends(
        web: httpx.AsyncClient, redis_client: Redis, smtp: SmtpServer, alice: Auth) -> None:
    ticket = await ticket_of(web, redis_client, "sam@example.org")
    smtp.stop()
    failed = await web.post(replies(ticket), headers=alice, json={"text": "Your refund is on its way."})
    assert failed.status_code == 502
    assert failed.json()["detail"].startswith(f"email not sent: could not reach the mail server 127.0.0.1:{smtp.port}")
    assert "kept in the ticket's history as failed" in failed.json()["detail"]
    [entry] = (await web.get(f"/api/agent/tickets/{ticket.ticket_id}", headers=alice)).json()["history"]
    assert (entry["status"], entry["text"], entry["attempts"]) == ("failed", "Your refund is on its way.", 1)
    assert "Connection refused" in entry["error"]

    retry = f"{replies(ticket)}/{entry['reply_id']}/retry"
    assert (await web.post(retry, headers=alice)).status_code == 502  # still down: still failed, attempts counted
    smtp.start()
    again = await web.post(retry, headers=alice)
    assert again.status_code == 200, again.text
    assert (again.json()["status"], again.json()["attempts"], again.json()["error"]) == ("sent", 3, None)
    [mail] = smtp.wait_for(1)
    assert "Your refund is on its way." in mail.body
    assert mail.message["Message-ID"].strip().startswith(f"<{ticket.ticket_id}.{entry['reply_id']}.{entry['at_ms']}@")
    # Sent once: a second retry is refused.
    refused = await web.post(retry, headers=alice)
    assert refused.status_code == 409 and "only a failed email is sent again" in refused.json()["detail"]
    assert (await web.post(f"{replies(ticket)}/R0099/retry", headers=alice)).status_code == 404


async def test_an_email_cut_off_while_sending_can_be_sent_again(
        web: httpx.AsyncClient, redis_client: Redis, smtp: SmtpServer, alice: Auth) -> None:
    """A web app that stopped while sending left the reply marked sending: after the SMTP timeout and a
    margin, a retry takes it over; before, it is refused (it may still be on its way)."""
    ticket = await ticket_of(web, redis_client, "sam@example.org")
    reply = await history.add_reply(redis_client, ticket.ticket_id, "alice", "Alice Martin", Channel.EMAIL,
                                    "sam@example.org", "Your SIM is on its way.", Delivery.SENDING, 3600)
    retry = f"{replies(ticket)}/{reply.reply_id}/retry"
    refused = await web.post(retry, headers=alice)
    assert refused.status_code == 409 and "is sending" in refused.json()["detail"]
    stale = replace(reply, attempted_at_ms=(reply.attempted_at_ms or 0) - 60_000)  # SMTP_TIMEOUT_S 5 + 30 s ago
    await redis_client.hset(keys.ticket_history(ticket.ticket_id), reply.reply_id, json.dumps(stale.public()))
    sent = await web.post(retry, headers=alice)
    assert (sent.status_code, sent.json()["status"], sent.json()["attempts"]) == (200, "sent", 2)
    [mail] = smtp.wait_for(1)
    assert "Your SIM is on its way." in mail.body


async def test_a_login_the_mail_server_refuses_is_a_failed_reply(
        web: httpx.AsyncClient, redis_client: Redis, smtp: SmtpServer, alice: Auth) -> None:
    smtp.credentials = ("bot@lumen.example", "another password")
    ticket = await ticket_of(web, redis_client, "sam@example.org")
    failed = await web.post(replies(ticket), headers=alice, json={"text": "Hello"})
    assert failed.status_code == 502 and "refused the login: 535" in failed.json()["detail"]
    assert smtp.inbox == []


@pytest.mark.parametrize("web_settings", [{}])
async def test_without_smtp_an_email_reply_is_refused_and_nothing_recorded(
        web_settings: dict[str, Any], web: httpx.AsyncClient, redis_client: Redis, alice: Auth) -> None:
    ticket = await ticket_of(web, redis_client, "sam@example.org")
    refused = await web.post(replies(ticket), headers=alice, json={"text": "Hello"})
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("email is not configured on this server (SMTP_URL and SMTP_FROM)")
    view = (await web.get(f"/api/agent/tickets/{ticket.ticket_id}", headers=alice)).json()
    assert (view["email_enabled"], view["history"]) == (False, [])


async def test_a_phone_ticket_is_called_back_with_a_note_and_optionally_done(
        web: httpx.AsyncClient, redis_client: Redis, smtp: SmtpServer, alice: Auth) -> None:
    ticket = await ticket_of(web, redis_client, "06 12 34 56 78", lang="fr")
    callbacks = f"/api/agent/tickets/{ticket.ticket_id}/callbacks"
    first = await web.post(callbacks, headers=alice, json={"note": "No answer, left a voicemail"})
    assert first.status_code == 201, first.text
    assert [t["ticket_id"] for t in (await web.get("/api/agent/tickets", headers=alice)).json()] == [ticket.ticket_id]
    second = await web.post(callbacks, headers=alice, json={"note": "Explained the bill", "done": True})
    assert second.status_code == 201
    assert (await web.get("/api/agent/tickets", headers=alice)).json() == []

    view = (await web.get(f"/api/agent/tickets/{ticket.ticket_id}", headers=alice)).json()
    assert (view["status"], view["channel"]) == ("done", "phone")
    assert [(h["reply_id"], h["channel"], h["status"], h["to"], h["text"]) for h in view["history"]] == [
        ("R0001", "phone", "called_back", "06 12 34 56 78", "No answer, left a voicemail"),
        ("R0002", "phone", "called_back", "06 12 34 56 78", "Explained the bill")]
    # A phone ticket is not emailed, an email ticket not called back.
    wrong = await web.post(replies(ticket), headers=alice, json={"text": "Hello"})
    assert wrong.status_code == 409 and "left a phone number" in wrong.json()["detail"]
    email_ticket = await ticket_of(web, redis_client, "sam@example.org")
    wrong = await web.post(f"/api/agent/tickets/{email_ticket.ticket_id}/callbacks", headers=alice, json={"note": "hi"})
    assert wrong.status_code == 409 and "left an email address" in wrong.json()["detail"]
    assert smtp.inbox == []


async def test_what_is_refused_before_anything_is_recorded(
        web: httpx.AsyncClient, redis_client: Redis, smtp: SmtpServer, alice: Auth) -> None:
    ticket = await ticket_of(web, redis_client, "sam@example.org")
    assert (await web.post(replies(ticket), json={"text": "Hello"})).status_code == 401
    assert (await web.post(replies(ticket), headers=alice, json={"text": "   "})).status_code == 422
    assert (await web.post(replies(ticket), headers=alice, json={"text": ""})).status_code == 422
    too_long = await web.post(replies(ticket), headers=alice, json={"text": "x" * 501})
    assert too_long.status_code == 413 and "500 characters at most" in too_long.json()["detail"]
    assert (await web.post("/api/agent/tickets/T999999/replies", headers=alice, json={"text": "Hello"})).status_code == 404
    assert (await web.get("/api/agent/tickets/T999999", headers=alice)).status_code == 404
    assert (await web.get("/api/agent/tickets/nonsense", headers=alice)).status_code == 422
    broken = await ticket_of(web, redis_client, "sam@@example")
    bad_address = await web.post(replies(broken), headers=alice, json={"text": "Hello"})
    assert bad_address.status_code == 409 and "is not an email address" in bad_address.json()["detail"]
    for each in (ticket, broken):
        assert (await web.get(f"/api/agent/tickets/{each.ticket_id}", headers=alice)).json()["history"] == []
    assert smtp.inbox == []


async def test_erasing_the_customer_erases_the_replies(
        web: httpx.AsyncClient, redis_client: Redis, smtp: SmtpServer, alice: Auth) -> None:
    ticket = await ticket_of(web, redis_client, "sam@example.org")
    assert (await web.post(replies(ticket), headers=alice, json={"text": "Hello"})).status_code == 201
    await forget(redis_client, "sam@example.org")
    assert await redis_client.exists(keys.ticket_history(ticket.ticket_id)) == 0
