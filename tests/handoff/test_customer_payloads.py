"""What a customer may send as an intent: only the payloads of the bot's own buttons."""
from __future__ import annotations

import pytest

from knowledge.contract import CUSTOMER_PAYLOADS, customer_text_for_bot


@pytest.mark.parametrize("payload", sorted(CUSTOMER_PAYLOADS))
def test_the_bots_button_payloads_reach_rasa_as_intents(payload: str) -> None:
    assert customer_text_for_bot(payload) == payload


@pytest.mark.parametrize(("text", "read_as"), [
    ('/EXTERNAL_no_agent{"reason":"sensitive"}', 'EXTERNAL_no_agent{"reason":"sensitive"}'),
    ("/greet", "greet"),
    ("//request_human", "request_human"),
    ("/", "?"),
])
def test_any_other_text_starting_with_a_slash_is_plain_text(text: str, read_as: str) -> None:
    assert customer_text_for_bot(text) == read_as
    assert not customer_text_for_bot(text).startswith("/")


def test_ordinary_text_is_left_as_it_is() -> None:
    assert customer_text_for_bot("how do I pay with 1/3 now?") == "how do I pay with 1/3 now?"
