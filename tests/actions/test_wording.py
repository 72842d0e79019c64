"""The bot's wording has one home, domain.yml's responses; the actions and the knowledge engine
render it (knowledge/wording.py) as Rasa renders the responses it utters itself."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge import wording
from knowledge.contract import EscalationReason

ACTIONS = Path(__file__).resolve().parents[2] / "actions"


def test_every_response_speaks_french_and_english() -> None:
    for name, variations in wording.domain_responses().items():
        texts = {variation.get("condition", [{}])[0].get("value"): variation["text"] for variation in variations}
        assert set(texts) == {"fr", None} and texts["fr"] != texts[None], name


def test_every_response_the_code_names_is_in_the_domain() -> None:
    named = set(wording.ESCALATION_RESPONSES.values())
    for module in ACTIONS.glob("*.py"):
        named |= set(re.findall(r"\"(utter_[a-z_]+)\"", module.read_text(encoding="utf-8")))
    assert named and named <= set(wording.domain_responses())
    assert set(wording.ESCALATION_RESPONSES) == set(EscalationReason) - {EscalationReason.UNKNOWN}


def test_the_language_picks_the_variation_and_any_other_gets_english() -> None:
    assert wording.decline_text("fr").startswith("Désolé, je ne trouve pas de réponse")
    assert wording.decline_text("en") == wording.decline_text("de") == (
        "Sorry, I can't answer that from our help centre. Could you rephrase it, or ask for an advisor?")
    assert wording.escalate_text(EscalationReason.LOW_CONFIDENCE, "fr") == "Bien sûr. Je transmets votre conversation à un conseiller."


def test_template_variables_and_buttons_are_filled() -> None:
    assert wording.too_long_text("fr", 2000) == (
        "Votre message est trop long pour moi (2000 caractères au maximum). Pouvez-vous le raccourcir ?")
    filed = wording.text("utter_ticket_filed", "en", ticket="T-7", contact="jane@example.com")
    assert filed == "Thank you. Your request T-7 is recorded: an advisor will get back to you at jane@example.com."
    offer = wording.utterance("utter_offer_advisor", "fr")
    assert offer.buttons == ({"title": "Oui", "payload": "/affirm"}, {"title": "Non", "payload": "/deny"})


def test_an_unknown_response_is_an_error() -> None:
    with pytest.raises(wording.UnknownResponse):
        wording.text("utter_nothing", "en")
