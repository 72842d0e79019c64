"""How an action says a reply: one bot message with the text for any client and the reply
contract's payload (knowledge/contract.py) for clients that classify replies."""
from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from knowledge.contract import Reply


def say(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    dispatcher.utter_message(text=reply.text, buttons=list(reply.buttons) or None, json_message=reply.payload())
