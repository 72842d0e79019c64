"""Small talk, and how a conversation ends: politely, and without the bot repeating itself.

- "thanks" → "You're welcome! Anything else?"; "no" to that → goodbye; "yes" → "go ahead".
- "no" or "ok" right after an answer → "Anything else?".
- The same bot text is never sent three times in a row: the third time the bot says it
  differently (it is still there; it cannot find this either; it gave this answer already).
"""
from __future__ import annotations

from dataclasses import replace

from rasa_sdk import Tracker

from actions.conversation import recent_bot_texts
from knowledge import wording
from knowledge.contract import Outcome, Reply

# The reply to each small-talk intent when nothing in the conversation changes it.
SMALLTALK_RESPONSES = {
    "greet": "utter_greet",
    "goodbye": "utter_goodbye",
    "thank": "utter_you_are_welcome",
    "affirm": "utter_anything_else",
    "deny": "utter_anything_else",
    "bot_challenge": "utter_iamabot",
}
# Bot messages that ask whether the customer needs anything else.
ASKING_ANYTHING_ELSE = ("utter_anything_else", "utter_you_are_welcome")
LANGUAGES = ("en", "fr")


def _said(text: str | None, responses: tuple[str, ...]) -> bool:
    return text is not None and any(text == wording.text(name, lang) for name in responses for lang in LANGUAGES)


def small_talk_response(tracker: Tracker, intent: str) -> str | None:
    """The response for a small-talk intent, given what the bot said last; None if not small talk."""
    response = SMALLTALK_RESPONSES.get(intent)
    if response is None:
        return None
    last = next(iter(recent_bot_texts(tracker, 1)), None)
    if intent == "deny" and _said(last, (*ASKING_ANYTHING_ELSE, "utter_goodbye", "utter_still_here")):
        return "utter_goodbye"  # "no" to "anything else?": the conversation ends kindly
    if intent == "affirm" and _said(last, ASKING_ANYTHING_ELSE):
        return "utter_ask_next_question"
    return response


def without_third_repeat(tracker: Tracker, reply: Reply, alternative: str = "utter_still_here", **values: str) -> Reply:
    """The reply, unless the bot's last two messages already said exactly this: then the same
    reply with the `alternative` response's text (which the bot did not just send)."""
    if recent_bot_texts(tracker, 2) != [reply.text, reply.text]:
        return reply
    return replace(reply, text=wording.text(alternative, reply.lang or "en", **values))


def small_talk_reply(tracker: Tracker, intent: str, lang: str) -> Reply | None:
    response = small_talk_response(tracker, intent)
    if response is None:
        return None
    ends = response == "utter_goodbye"  # the widget then asks the customer to rate the conversation
    return without_third_repeat(tracker, Reply(Outcome.SMALLTALK, lang, wording.text(response, lang), ends=ends))
