"""Every Redis key the project writes, in one place: the handoff's and the content team's.

Rasa's own keys (trackers, locks) start with "rasa"; rq's with "rq:".
Personal data (a conversation's keys, tickets with their history and contact index, a verified customer's
list of conversations, unanswered questions, Rasa's trackers) expires: see the retention settings; queue,
agent and statistics keys hold none and do not.
"""
from __future__ import annotations

PREFIX = "handoff"
CONTENT_PREFIX = "content"

# The content team's stream of questions the bot could not answer (UnansweredEvent fields),
# and the set of its entry ids already turned into articles or variants.
UNANSWERED = f"{CONTENT_PREFIX}:unanswered"
UNANSWERED_HANDLED = f"{CONTENT_PREFIX}:unanswered:handled"


def answering(collection: str) -> str:
    """Hash: action-server process -> JSON {kb_version, at_ms}: the knowledge-base version it answers
    from, refreshed every second or so (knowledge/answering/serving.py), so the editor can say when
    a publish is live in the bot."""
    return f"{CONTENT_PREFIX}:answering:{collection}"

QUEUE = f"{PREFIX}:queue"  # sorted set: member queue_member(), score handoff.ownership.queue_score()
EVENTS = f"{PREFIX}:events"  # stream of queue and ownership changes, for agent consoles and waiting customers
PRESENCE = f"{PREFIX}:presence"  # sorted set: agent -> last time their console was heard from (ms)
HANDLING_TIMES = f"{PREFIX}:stats:handling"  # list of recent handling times (s), newest first
TICKETS = f"{PREFIX}:tickets"  # sorted set: ticket id -> filed at (ms), open tickets only
TICKET_SEQUENCE = f"{PREFIX}:tickets:sequence"
# Insights (handoff/insights): the outbox of events not yet written to the SQL store (entries leave it
# once written), its writers' consumer group, and the count of events refused because the outbox was full.
INSIGHTS_EVENTS = "insights:events"
INSIGHTS_WRITERS = "insights-writers"
INSIGHTS_LOST = "insights:events:lost"


def conversation(conversation_id: str) -> str:
    return f"{PREFIX}:conversation:{conversation_id}"


def messages(conversation_id: str) -> str:
    return f"{PREFIX}:messages:{conversation_id}"


MESSAGES_PATTERN = messages("*")  # every conversation's message stream (SCAN)


def typing(conversation_id: str) -> str:
    return f"{PREFIX}:typing:{conversation_id}"


def package(conversation_id: str) -> str:
    return f"{PREFIX}:package:{conversation_id}"


def agent(username: str) -> str:
    return f"{PREFIX}:agent:{username}"


def agents() -> str:
    return f"{PREFIX}:agents"


def session(token: str) -> str:
    return f"{PREFIX}:session:{token}"


def login_failures(kind: str, who: str) -> str:
    """Failed logins in the current window, per username ("user") or per client address ("addr")."""
    return f"{PREFIX}:login-failures:{kind}:{who}"


def rate_count(limit: str, who: str) -> str:
    """Requests counted against a rate limit (e.g. "messages-per-address") in its current window."""
    return f"{PREFIX}:rate:{limit}:{who}"


def ticket(ticket_id: str) -> str:
    return f"{PREFIX}:ticket:{ticket_id}"


TICKET_PATTERN = f"{PREFIX}:ticket:T*"  # every ticket record (SCAN), not the sequence


def ticket_history(ticket_id: str) -> str:
    """Hash: reply id -> JSON record of what an agent did about the ticket (an email reply, a call back;
    handoff.ticket_replies.history). Outside "ticket:" so that TICKET_PATTERN finds ticket records only."""
    return f"{PREFIX}:ticket-history:{ticket_id}"


def customer_conversations(user_id: str) -> str:
    """Sorted set of the conversations a verified customer started (handoff.returning): conversation id ->
    started at (ms). The conversation's hash names the customer in its field "customer"."""
    return f"{PREFIX}:customer:{user_id}:conversations"


def tickets_of_contact(contact_key: str) -> str:
    """Set of the ticket ids filed with one email address or phone number (handoff.tickets.contact_key)."""
    return f"{PREFIX}:contact:{contact_key}"


CANNED_REPLIES = f"{PREFIX}:canned-replies"  # set of every canned reply's id (handoff/canned/replies.py)


def canned_reply(reply_id: str) -> str:
    """Hash: one canned reply (team, lang, shortcut, title, text, who changed it last and when)."""
    return f"{PREFIX}:canned-reply:{reply_id}"


def canned_shortcuts(team: str, lang: str) -> str:
    """Hash: shortcut -> canned reply id, one per team and language (a shortcut names one reply there)."""
    return f"{PREFIX}:canned-shortcuts:{team}:{lang}"


# Rasa's, named here so that erasing a customer reaches them: endpoints.yml's key_prefix "rasa"
# plus RedisTrackerStore's "tracker:", and RedisLockStore's "lock:".
def rasa_tracker(conversation_id: str) -> str:
    return f"rasa:tracker:{conversation_id}"


RASA_TRACKER_PATTERN = rasa_tracker("*")


def rasa_lock(conversation_id: str) -> str:
    return f"rasa:lock:{conversation_id}"


def queue_member(lang: str, conversation_id: str) -> str:
    return f"{lang}|{conversation_id}"


def split_queue_member(member: str) -> tuple[str, str]:
    lang, _, conversation_id = member.partition("|")
    return lang, conversation_id
