"""The email address or phone number a customer leaves so that an advisor gets back to them."""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

import phonenumbers
from email_validator import EmailNotValidError, validate_email

# Phone numbers without a +country prefix are read as French ones ("06 12 34 56 78").
DEFAULT_PHONE_REGION = "FR"
# Something shaped like an address inside a sentence ("it's jane@example.com, thanks").
_EMAIL_CANDIDATE = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")
_TRAILING_PUNCTUATION = ".!?"
# What a mistyped contact still looks like: an "@", or four digits or more in a row.
_CONTACT_ATTEMPT = re.compile(r"@|\d[\d\s.-]{2,}\d")


class ContactKind(str, Enum):
    EMAIL = "email"
    PHONE = "phone"


@dataclass(frozen=True)
class ContactDetails:
    kind: ContactKind
    value: str  # normalised: the address with its domain in lower case, or the number in E.164


def parse_email(text: str) -> ContactDetails | None:
    for candidate in _EMAIL_CANDIDATE.findall(text):
        try:
            # No DNS lookup: the action must answer at once, and offline.
            address = validate_email(candidate.rstrip(_TRAILING_PUNCTUATION), check_deliverability=False)
        except EmailNotValidError:
            continue
        return ContactDetails(ContactKind.EMAIL, address.normalized)
    return None


def parse_phone(text: str, region: str = DEFAULT_PHONE_REGION) -> ContactDetails | None:
    """The first valid number in the text: national for `region`, or international with +."""
    for match in phonenumbers.PhoneNumberMatcher(text, region):
        if phonenumbers.is_valid_number(match.number):
            return ContactDetails(ContactKind.PHONE, phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164))
    return None


def parse_contact(text: str, region: str = DEFAULT_PHONE_REGION) -> ContactDetails | None:
    """An email address if the text holds one, else a phone number, else None."""
    return parse_email(text) or parse_phone(text, region)


def attempts_contact(text: str) -> bool:
    """The text holds something meant as a contact, valid or not ("my number is 12345")."""
    return bool(_CONTACT_ATTEMPT.search(text))
