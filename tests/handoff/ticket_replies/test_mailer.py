"""SMTP_URL and SMTP_FROM as the settings read them (handoff/ticket_replies/mailer.py)."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from handoff.settings import HandoffSettings
from handoff.ticket_replies.mailer import Security, SmtpServer


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mail.example", SmtpServer("mail.example", 25, Security.NONE)),
    ("smtp://mail.example:2525", SmtpServer("mail.example", 2525, Security.NONE)),
    ("smtp://bot%40lumen.example:p%3Aw%2Fd@mail.example?starttls=1",
     SmtpServer("mail.example", 587, Security.STARTTLS, ("bot@lumen.example", "p:w/d"))),
    ("smtp://mail.example:25?starttls=true", SmtpServer("mail.example", 25, Security.STARTTLS)),
    ("smtps://bot:secret@mail.example", SmtpServer("mail.example", 465, Security.TLS, ("bot", "secret"))),
])
def test_smtp_url_says_where_how_and_who(url: str, expected: SmtpServer) -> None:
    assert SmtpServer.from_url(url) == expected


@pytest.mark.parametrize(("name", "value", "says"), [
    ("smtp_url", "http://mail.example", "SMTP_URL must look like smtp://"),
    ("smtp_url", "smtp://", "SMTP_URL must look like smtp://"),
    ("smtp_url", "smtp://mail.example:99999", "SMTP_URL: Port out of range"),
    ("smtp_from", "Lumen Mobile", "SMTP_FROM is not an email address"),
])
def test_an_unreadable_setting_stops_the_process_at_start(name: str, value: str, says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        HandoffSettings(**{name: value})


def test_empty_settings_mean_no_email() -> None:
    settings = HandoffSettings(smtp_url="", smtp_from=" ")
    assert (settings.smtp_url, settings.smtp_from) == (None, None)
    assert HandoffSettings(smtp_url="smtp://mail.example").smtp_url.get_secret_value() == "smtp://mail.example"
