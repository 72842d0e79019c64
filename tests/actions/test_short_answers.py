"""A customer's short answers: leaving, accepting, and which option offered they chose (actions/dialogue/short_answers.py)."""
from __future__ import annotations

import pytest

from actions.dialogue.short_answers import chosen_option, is_accepting, is_leaving

LEAVING = [
    "no", "No thanks!", "nope", "not now", "forget it", "cancel", "stop", "never mind",
    "non", "non merci", "Non, ça ira.", "annuler", "laisse tomber", "pas besoin", "Arrête",
    "c’est bon",  # curly apostrophe, as phones type it
]
ACCEPTING = ["yes", "Yes please!", "ok", "sure", "go ahead", "oui", "Oui !", "d'accord", "volontiers", "bien sûr"]
# Messages that say more than yes or no: a question or a contact, read as such by the caller.
NEITHER = ["no, my phone is broken", "stop the roaming charges", "yes but how do I pay", "oui mais combien ça coûte",
           "jane.doe@example.com", "06 12 34 56 78", "hello?", ""]


@pytest.mark.parametrize("text", LEAVING)
def test_a_whole_message_saying_no_or_stop_is_leaving(text: str) -> None:
    assert is_leaving(text)
    assert not is_accepting(text)


@pytest.mark.parametrize("text", ACCEPTING)
def test_a_whole_message_saying_yes_is_accepting(text: str) -> None:
    assert is_accepting(text)
    assert not is_leaving(text)


@pytest.mark.parametrize("text", NEITHER)
def test_a_message_that_says_more_is_neither_leaving_nor_accepting(text: str) -> None:
    assert not is_leaving(text)
    assert not is_accepting(text)


TITLES_EN = ["Failed payment or unpaid bill", "Payment methods and direct debit"]
TITLES_FR = ["Paiement refusé ou facture impayée", "Moyens de paiement et prélèvement automatique"]


@pytest.mark.parametrize(
    ("text", "titles", "position"),
    [
        # the title itself, as a button sends it or as typed
        ("Failed payment or unpaid bill", TITLES_EN, 0),
        ("payment methods and direct debit!", TITLES_EN, 1),
        ("Moyens de paiement et prélèvement automatique", TITLES_FR, 1),
        ("paiement refuse ou facture impayee", TITLES_FR, 0),  # typed without accents
        # an ordinal
        ("the second one", TITLES_EN, 1),
        ("the first one please", TITLES_EN, 0),
        ("2", TITLES_EN, 1),
        ("the last one", TITLES_EN, 1),
        ("le premier", TITLES_FR, 0),
        ("la deuxième", TITLES_FR, 1),
        ("je veux le 2e", TITLES_FR, 1),
        # a word only one title has
        ("the direct debit one", TITLES_EN, 1),
        ("celle sur le prélèvement", TITLES_FR, 1),
    ],
)
def test_the_option_chosen_is_read_from_its_title_an_ordinal_or_a_word_only_it_has(
    text: str, titles: list[str], position: int
) -> None:
    assert chosen_option(text, titles) == position


@pytest.mark.parametrize(
    "text",
    [
        "the payment one",  # a word both titles have
        "something else",
        "how do I activate my esim?",
        "",
    ],
)
def test_a_message_that_picks_no_option_chooses_none(text: str) -> None:
    assert chosen_option(text, TITLES_EN) is None


def test_there_is_no_choice_without_options() -> None:
    assert chosen_option("the first one", []) is None


@pytest.mark.parametrize("text", ["the third one", "3", "le troisième"])
def test_an_ordinal_beyond_the_options_offered_chooses_none(text: str) -> None:
    assert chosen_option(text, TITLES_EN) is None
