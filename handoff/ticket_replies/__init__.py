"""Agents answering tickets: an email reply sent over SMTP, or a phone call back noted, each kept in the
ticket's history (`history`); the email itself (`mailer`); what a reply or call back does (`answering`)."""
