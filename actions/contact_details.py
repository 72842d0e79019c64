"""The email address or phone number a customer leaves so that an advisor gets back to them
(parsed by knowledge/contacts.py, which the handoff shares)."""
from __future__ import annotations

import re

from knowledge.contacts import (  # noqa: F401  (the contact form's names, shared with the handoff)
    DEFAULT_PHONE_REGION, ContactDetails, ContactKind, parse_contact, parse_email, parse_phone,
)

# What a mistyped contact still looks like: an "@", or four digits or more in a row.
_CONTACT_ATTEMPT = re.compile(r"@|\d[\d\s.-]{2,}\d")


def attempts_contact(text: str) -> bool:
    """The text holds something meant as a contact, valid or not ("my number is 12345")."""
    return bool(_CONTACT_ATTEMPT.search(text))
