"""What answering a ticket does: an email reply is recorded first (sending), then handed to the mail
server, then recorded as sent or failed with the reason, so that nothing the agent wrote is lost when
the mail server is down; a failed one is sent again on request. A phone ticket's call back is a note."""
from __future__ import annotations

import anyio
from redis.asyncio import Redis

from handoff.agents import Agent
from handoff.settings import HandoffSettings
from handoff.ticket_replies import history
from handoff.ticket_replies.history import Channel, Delivery, TicketReply
from handoff.ticket_replies.mailer import Letter, MailNotConfigured, MailNotSent, SmtpServer, compose, recipient, send
from handoff.tickets import Ticket, resolve_ticket

# A retry may take over an email still marked sending this long after its SMTP timeout: the web app
# that was sending it stopped before it knew.
_CUT_OFF_MARGIN_S = 30.0


class WrongChannel(Exception):
    """An email reply to a phone ticket, or a call back to an email ticket."""


class DeliveryFailed(Exception):
    """The reply is in the history, marked failed with the mail server's reason."""

    def __init__(self, reply: TicketReply) -> None:
        super().__init__(f"email not sent: {reply.error}. The reply is kept in the ticket's history as failed: "
                         "send it again from there.")
        self.reply = reply


def channel_of(ticket: Ticket) -> Channel:
    return Channel.EMAIL if "@" in ticket.contact else Channel.PHONE


def email_configured(settings: HandoffSettings) -> bool:
    return bool(settings.smtp_url and settings.smtp_from)


class TicketAnswers:
    def __init__(self, redis: Redis, settings: HandoffSettings) -> None:
        self._redis = redis
        self._settings = settings

    async def email(self, ticket: Ticket, agent: Agent, text: str) -> TicketReply:
        """Raises WrongChannel, MailNotConfigured, NotAnEmailAddress (nothing recorded), DeliveryFailed (recorded)."""
        if channel_of(ticket) is not Channel.EMAIL:
            raise WrongChannel(f"ticket {ticket.ticket_id} left a phone number: call back and note it instead")
        server = self._server()
        to = recipient(ticket.contact)
        reply = await history.add_reply(self._redis, ticket.ticket_id, agent.username, agent.display_name, Channel.EMAIL,
                                        to, text, Delivery.SENDING, self._settings.ticket_retention_s)
        return await self._deliver(ticket, reply, server)

    async def retry(self, ticket: Ticket, reply_id: str) -> TicketReply:
        """Raises UnknownReply, NotRetriable, MailNotConfigured, DeliveryFailed."""
        server = self._server()
        reply = await history.claim_retry(self._redis, ticket.ticket_id, reply_id,
                                          self._settings.smtp_timeout_s + _CUT_OFF_MARGIN_S, self._settings.ticket_retention_s)
        return await self._deliver(ticket, reply, server)

    async def called_back(self, ticket: Ticket, agent: Agent, note: str, done: bool) -> TicketReply:
        """Raises WrongChannel. `done`: the ticket leaves the open list as well."""
        if channel_of(ticket) is not Channel.PHONE:
            raise WrongChannel(f"ticket {ticket.ticket_id} left an email address: reply by email instead")
        reply = await history.add_reply(self._redis, ticket.ticket_id, agent.username, agent.display_name, Channel.PHONE,
                                        ticket.contact, note, Delivery.CALLED_BACK, self._settings.ticket_retention_s)
        if done:
            await resolve_ticket(self._redis, ticket.ticket_id, agent.username, self._settings.ticket_retention_s)
        return reply

    def _server(self) -> SmtpServer:
        if not email_configured(self._settings):
            raise MailNotConfigured("email is not configured on this server (SMTP_URL and SMTP_FROM): "
                                    "no reply can be sent by email")
        assert self._settings.smtp_url is not None
        return SmtpServer.from_url(self._settings.smtp_url.get_secret_value())

    async def _deliver(self, ticket: Ticket, reply: TicketReply, server: SmtpServer) -> TicketReply:
        assert self._settings.smtp_from is not None
        letter = Letter(ticket.ticket_id, reply.reply_id, reply.to, ticket.lang, reply.agent_name, reply.text, reply.at_ms)
        message = compose(letter, self._settings.smtp_from)
        error = None
        try:
            await anyio.to_thread.run_sync(send, server, message, self._settings.smtp_timeout_s)
        except MailNotSent as failure:
            error = str(failure)
        # Recorded even when the request that asked for it is cancelled meanwhile (the client went away).
        with anyio.CancelScope(shield=True):
            settled = await history.settle(self._redis, reply, error, self._settings.ticket_retention_s)
        if error:
            raise DeliveryFailed(settled)
        return settled
