"""The email an agent's reply to a ticket becomes, and its delivery over SMTP (the standard library's
smtplib; callers run `send` in a thread).

SMTP_URL says where and how: smtp://[user:password@]host[:port] is plain SMTP (port 25), with
?starttls=1 upgraded by STARTTLS before anything else is said (port 587); smtps://… speaks TLS from
the first byte (port 465). User and password are percent-encoded in the URL.
"""
from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from enum import Enum
from urllib.parse import parse_qs, unquote, urlsplit

from email_validator import EmailNotValidError, validate_email


class MailNotConfigured(Exception):
    """SMTP_URL or SMTP_FROM is not set (or not usable): no email can be sent."""


class NotAnEmailAddress(Exception):
    """The ticket's contact is not an email address one can write to."""


class MailNotSent(Exception):
    """The mail server could not be reached, or did not take the message: the reason, for the agent."""


class Security(str, Enum):
    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


_DEFAULT_PORTS = {Security.NONE: 25, Security.STARTTLS: 587, Security.TLS: 465}
_YES = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    security: Security
    login: tuple[str, str] | None = None  # user, password

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://[user:password@]host[:port][?starttls=1] or smtps://…")
        starttls = parse_qs(parts.query).get("starttls", ["0"])[-1].lower() in _YES
        if parts.scheme == "smtps":
            security = Security.TLS
        else:
            security = Security.STARTTLS if starttls else Security.NONE
        try:
            port = parts.port or _DEFAULT_PORTS[security]
        except ValueError as error:  # a port that is not a number, or out of range
            raise ValueError(f"SMTP_URL: {error}") from None
        login = (unquote(parts.username), unquote(parts.password or "")) if parts.username else None
        return cls(parts.hostname, port, security, login)


def sender_address(sender: str) -> str:
    """SMTP_FROM checked: an address, with or without a display name ("Lumen Mobile <help@lumen.example>")."""
    _, address = parseaddr(sender)
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"SMTP_FROM is not an email address: {error}") from None
    return sender


def recipient(contact: str) -> str:
    try:
        return validate_email(contact.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise NotAnEmailAddress(f"the ticket's contact {contact!r} is not an email address: {error}") from None


# The customer's language: French or English (the default).
_SUBJECT = {"en": "[{ticket}] Reply to your request", "fr": "[{ticket}] Réponse à votre demande"}
_GREETING = {"en": "Hello,", "fr": "Bonjour,"}
_SIGN_OFF = {"en": "Best regards,", "fr": "Cordialement,"}
_TEAM = {"en": "Customer service", "fr": "Service client"}
_REFERENCE = {"en": "Reference: {ticket}", "fr": "Référence : {ticket}"}


@dataclass(frozen=True)
class Letter:
    """What an agent wrote, to whom, for which ticket: enough to make the same email again on a retry."""

    ticket_id: str
    reply_id: str
    to: str
    lang: str
    agent_name: str
    text: str
    written_at_ms: int


def compose(letter: Letter, sender: str) -> EmailMessage:
    """The email: a subject naming the ticket, greeting and signature in the customer's language, the
    agent's text between. Its Message-ID names the ticket and the reply: a retry sends the same one, so
    that a mail client shows a message that did arrive after all only once."""
    lang = letter.lang if letter.lang in _SUBJECT else "en"
    team, address = parseaddr(sender)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = letter.to
    message["Subject"] = _SUBJECT[lang].format(ticket=letter.ticket_id)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{letter.ticket_id}.{letter.reply_id}.{letter.written_at_ms}@{Address(addr_spec=address).domain}>"
    message["Content-Language"] = lang
    message.set_content("\n".join([
        _GREETING[lang], "", letter.text.strip(), "", _SIGN_OFF[lang], letter.agent_name, team or _TEAM[lang], "",
        _REFERENCE[lang].format(ticket=letter.ticket_id), ""]))
    return message


def send(server: SmtpServer, message: EmailMessage, timeout_s: float) -> None:
    """Hands the message to the mail server; MailNotSent says why it did not take it."""
    where = f"{server.host}:{server.port}"
    try:
        if server.security is Security.TLS:
            client: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout_s,
                                                    context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=timeout_s)
        with client:
            if server.security is Security.STARTTLS:
                client.starttls(context=ssl.create_default_context())
            if server.login:
                client.login(*server.login)
            client.send_message(message)
    except smtplib.SMTPAuthenticationError as error:
        raise MailNotSent(f"the mail server {where} refused the login: {_said(error.smtp_code, error.smtp_error)}") from error
    except smtplib.SMTPRecipientsRefused as error:
        said = "; ".join(f"{who}: {_said(code, text)}" for who, (code, text) in error.recipients.items())
        raise MailNotSent(f"the mail server {where} refused the address: {said}") from error
    except smtplib.SMTPResponseException as error:
        raise MailNotSent(f"the mail server {where} answered {_said(error.smtp_code, error.smtp_error)}") from error
    except (socket.timeout, TimeoutError) as error:
        raise MailNotSent(f"the mail server {where} did not answer within {timeout_s:g} s") from error
    except (smtplib.SMTPException, ssl.SSLError, OSError) as error:
        raise MailNotSent(f"could not reach the mail server {where}: {error}") from error


def _said(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {words}".strip()
