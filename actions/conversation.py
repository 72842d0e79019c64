"""What the actions read of the conversation: the latest intent, the language, why it was
handed over, and the bot's last classified reply."""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker

from actions import slots
from knowledge.contract import EscalationReason, MalformedReply, Reply, parse_reply

logger = logging.getLogger(__name__)

# The language of a conversation whose `language` slot was never set.
DEFAULT_LANGUAGE = "en"


def intent_of(tracker: Tracker) -> dict[str, Any]:
    return tracker.latest_message.get("intent") or {}


def conversation_language(tracker: Tracker) -> str:
    return str(tracker.get_slot(slots.LANGUAGE) or DEFAULT_LANGUAGE)


def handover_reason(tracker: Tracker) -> EscalationReason:
    """Why the conversation was handed over, as recorded at the hand-over; UNKNOWN if never recorded."""
    recorded = tracker.get_slot(slots.HANDOVER_REASON)
    if not recorded:
        return EscalationReason.UNKNOWN
    try:
        return EscalationReason(recorded)
    except ValueError:
        logger.warning("hand-over reason %r is outside the reply contract: taken as unknown", recorded)
        return EscalationReason.UNKNOWN


def last_bot_reply(tracker: Tracker) -> Reply | None:
    """The bot's last classified reply (one whose payload has an outcome), if any."""
    for event in reversed(tracker.events):
        if event.get("event") == "bot":
            custom = (event.get("data") or {}).get("custom")
            if isinstance(custom, dict) and custom.get("outcome"):
                try:
                    return parse_reply(custom)
                except MalformedReply as error:
                    logger.warning("the bot's last reply is outside the reply contract (%s)", error)
                    return None
    return None
