"""Contacts however customers write them (knowledge/contacts.py): what the contact form reads, what
tickets are filed under and what erasing a customer looks for in what they typed."""
from __future__ import annotations

import pytest

from knowledge.contacts import contact_key, mentions, parse_contact


@pytest.mark.parametrize("text", ["my email is Jane.Doe@Example.com.", "jane.doe@example.com", "(JANE.DOE@EXAMPLE.COM)"])
def test_an_address_is_found_in_a_sentence_whatever_its_case(text: str) -> None:
    assert mentions(text, contact_key("jane.doe@example.com"))


@pytest.mark.parametrize("text", ["call me on 06 12 34 56 78", "+33 6 12 34 56 78, after 6pm", "0612345678"])
def test_a_number_is_found_however_it_is_punctuated(text: str) -> None:
    assert mentions(text, contact_key("+33612345678"))


@pytest.mark.parametrize(("text", "wanted"), [
    ("jane.doe@example.org", "jane.doe@example.com"),
    ("xjane.doe@example.com", "jane.doe@example.com"),
    ("06 12 34 56 79", "+33612345678"),
    ("order 0612345678901", "+33612345678"),  # the digits inside a longer number
    ("12345", "12345"),  # not a valid number: never found in a text
])
def test_another_contact_is_not_mistaken_for_it(text: str, wanted: str) -> None:
    assert not mentions(text, contact_key(wanted))


def test_the_contact_form_and_the_tickets_normalise_alike() -> None:
    for written in ("Jane.Doe@Example.com", "06 12 34 56 78"):
        parsed = parse_contact(f"here: {written}")
        assert parsed is not None and contact_key(parsed.value) == contact_key(written)
