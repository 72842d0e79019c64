"""Handing a conversation over: to an online advisor's queue, or to a ticket when none is online."""
from __future__ import annotations

import asyncio
import logging

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from redis.asyncio import Redis
from redis.exceptions import RedisError

from actions import slots
from actions.replies import say
from handoff.agents import online_agent_count
from handoff.settings import HandoffSettings
from knowledge import wording
from knowledge.answering.passages.excerpts import help_path
from knowledge.contract import Decision, Reply, Route

logger = logging.getLogger(__name__)

# The presence check must not hold the reply up: the client retries for ~10 s on its own.
PRESENCE_CHECK_TIMEOUT_S = 2.0


async def advisor_online(redis: Redis, lang: str, settings: HandoffSettings) -> bool:
    """Whether an advisor taking `lang` is online; an unreachable Redis counts as nobody."""
    try:
        count = await asyncio.wait_for(
            online_agent_count(redis, lang, settings.presence_window_s), PRESENCE_CHECK_TIMEOUT_S
        )
    except (RedisError, OSError, asyncio.TimeoutError) as error:
        logger.warning("agent presence unknown (%s: %s): handing over as if no advisor were online",
                       type(error).__name__, error)
        return False
    return count > 0


async def hand_over(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    escalation: Decision,
    redis: Redis,
    settings: HandoffSettings,
    topic: str | None = None,
    steps: str | None = None,
) -> list[EventType]:
    """Says where the conversation goes, with `route` in the payload, and remembers why.

    `escalation` carries the reason, language, article, confidence and sources; its text is
    said when an advisor is online. The rules start contact_form when the route is a ticket.
    `steps`, the urgent steps of the sensitive article it names, come first in the same reply
    whatever the route: the customer can act on them while waiting for an advisor or a call back.
    """
    lang = escalation.lang
    route = Route.AGENT if await advisor_online(redis, lang, settings) else Route.TICKET
    if route is Route.TICKET:
        text = wording.text("utter_no_advisor", lang)
    else:
        text = wording.text("utter_advisor_after_steps", lang) if steps else escalation.text
    more_url = None
    if steps:
        text = f"{steps}\n\n{text}"
        more_url = help_path(escalation.article) if escalation.article else None
    say(dispatcher, Reply.from_decision(escalation, text, route=route, topic=topic, steps=steps, more_url=more_url))
    return slots.changed(tracker, {
        slots.HANDOVER_REASON: escalation.reason,
        slots.HANDOVER_ROUTE: route.value,
        slots.HANDOVER_OFFERED: None,
        slots.LOW_CONFIDENCE_COUNT: 0.0,
    })
