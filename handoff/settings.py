"""The settings of a process that runs the handoff (the web app, the action server, the CLI),
read from the environment: the knowledge base's (KnowledgeSettings, REDIS_URL among them) plus
the handoff's and the web app's. One object per process."""
from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from handoff.ticket_replies.mailer import SmtpServer, sender_address
from knowledge.settings import KnowledgeSettings


class HandoffSettings(KnowledgeSettings):
    # An agent counts as online while their console has been heard from within this window.
    presence_window_s: float = 45.0
    # A chat waiting longer than this is handed back to the bot, which offers to file a ticket.
    max_wait_s: float = 600.0
    # Until enough chats have been handled to measure it.
    default_handling_time_s: float = 240.0
    agent_session_ttl_s: int = 12 * 3600
    # Failed logins allowed per username and per client address in a window, then 429 until it ends.
    login_max_failures: int = 10
    login_failure_window_s: int = 300
    # Customer live streams (widgets) one web process holds open at once, per conversation and per
    # client address; beyond, 429 with Retry-After (the widget tries again).
    live_streams_per_conversation: int = 5
    live_streams_per_address: int = 50
    # Personal data expires from Redis this long after its last write (EXPIRE, refreshed on write):
    # a conversation (messages, ownership, typing) after its last message, whatever its state;
    # a ticket (and its contact) after it was filed or last changed. Rasa's trackers: RASA_TRACKER_RETENTION_S
    # in endpoints.yml (ops/run.sh sets it to conversation_retention_s). Unanswered questions: knowledge/settings.py.
    conversation_retention_s: int = Field(default=30 * 24 * 3600, gt=0)
    ticket_retention_s: int = Field(default=90 * 24 * 3600, gt=0)

    # Returning customers: the site signs its logged-in customer's id with this secret (hex HMAC-SHA256 of the id)
    # and the widget sends both; the web app links that customer's conversations. Unset: a widget naming a
    # customer is refused (403), anonymous chats work as before.
    customer_id_secret: SecretStr | None = None
    # /demo/returning shows the demo site to this customer, logged in and signed (make run sets it). Leave it
    # unset on a real site: anyone opening that page would be this customer.
    demo_customer_id: str | None = None

    # The web app: where Rasa and the action server are, and what the routes accept.
    rasa_url: str = "http://localhost:5005"
    rasa_token: str | None = None  # Rasa's --auth-token, if the server was started with one
    rasa_timeout_s: float = 30.0
    actions_url: str = "http://localhost:5055"
    actions_token: str | None = None  # the action server's ACTIONS_TOKEN, if it was started with one
    max_message_chars: int = 2000
    # The session cookie is sent over HTTPS only. `make run` turns this off: it serves plain http on localhost.
    secure_cookies: bool = True
    release_every_s: float = 5.0
    # Sites allowed to embed the widget (JSON list in WIDGET_ORIGINS); "*" lets any site do so. They may
    # call the customer API (CORS) and frame the chat page (its Content-Security-Policy frame-ancestors).
    widget_origins: list[str] = ["*"]
    # Origins besides the app's own (its Host header) from which the console and editor may change
    # anything with the session cookie, e.g. "https://console.example.com"; any other Origin is refused.
    trusted_origins: list[str] = []
    # Reverse proxies whose X-Forwarded-For is believed: a request from one of these addresses counts
    # as coming from the address the header names (the last one that is not itself a trusted proxy).
    trusted_proxies: list[str] = []
    # Redis replicas that must hold a customer's turn before it is acknowledged (WAIT after the turn's writes;
    # replication is asynchronous, so a primary that dies can take its last writes with it). 0: no wait. Past
    # the timeout the turn is acknowledged anyway (logged): a replica down must not stop the chat.
    redis_replica_acks: int = Field(default=0, ge=0)
    redis_replica_ack_timeout_ms: int = Field(default=100, ge=1)

    # Rate limits per fixed window, counted in Redis (so they hold across web app replicas); 0 turns one off.
    # Customer messages per conversation and per client address, and new conversations per client address.
    messages_per_conversation: int = 20
    messages_per_address: int = 60
    messages_window_s: int = 60
    conversations_per_address: int = 20
    conversations_window_s: int = 600
    # "The customer is typing" signals per conversation and per client address (the widget sends one every
    # 2.5 s at most while an advisor has the chat). Ratings of answers count as messages.
    typing_per_conversation: int = 30
    typing_per_address: int = 120
    typing_window_s: int = 60

    # Insights (handoff/insights): the SQL store of events (default: SQLite under var/), e.g.
    # postgresql+psycopg://user@host:5432/db; a token /metrics then asks for (Bearer), unset: /metrics is open.
    # The conformity the reviewed answers must reach is the knowledge base's TARGET_CONFORMITY (the one
    # its thresholds are fitted to): the dashboard alerts when the Wilson interval's lower bound falls under it.
    database_url: str | None = None
    metrics_token: SecretStr | None = None
    # The reviewed answers a threshold proposal needs before the content team may apply it as a new
    # knowledge-base version (under it: 422).
    min_reviews_to_apply: int = Field(default=30, ge=1)

    # Agents answering tickets by email (handoff/ticket_replies/mailer.py). SMTP_URL: smtp://[user:password@]host[:port]
    # (25), with ?starttls=1 for STARTTLS (587), or smtps://… for TLS from the start (465). SMTP_FROM: the From of the
    # replies, e.g. "Lumen Mobile <help@lumen.example>" (its name signs them). Either unset: an email reply gets 409.
    smtp_url: SecretStr | None = None
    smtp_from: str | None = None
    smtp_timeout_s: float = Field(default=15.0, gt=0)
    # An email reply or a call-back note, in characters.
    ticket_reply_max_chars: int = Field(default=10_000, gt=0)

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_readable(cls, url: SecretStr | None) -> SecretStr | None:
        if url is None or not url.get_secret_value().strip():
            return None
        SmtpServer.from_url(url.get_secret_value())
        return url

    @field_validator("smtp_from")
    @classmethod
    def _smtp_from_readable(cls, sender: str | None) -> str | None:
        return sender_address(sender) if sender and sender.strip() else None
