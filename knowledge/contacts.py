"""Email addresses and phone numbers as customers write them: found inside a sentence, and compared
however they were written. The action server's contact form reads them (actions/contact_details.py);
the handoff files tickets under them and erases a customer by them (handoff/tickets.py, erasure)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

import phonenumbers
from email_validator import EmailNotValidError, validate_email

# Phone numbers without a +country prefix are read as French ones ("06 12 34 56 78").
DEFAULT_PHONE_REGION = "FR"
# Something shaped like an address inside a sentence ("it's jane@example.com, thanks").
_EMAIL_CANDIDATE = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")
_TRAILING_PUNCTUATION = ".!?"
# A whole text that is one phone number, however punctuated.
_PHONE_SHAPE = re.compile(r"^\+?[\d\s().-]{6,24}$")
_NOT_DIGIT = re.compile(r"\D")


class ContactKind(str, Enum):
    EMAIL = "email"
    PHONE = "phone"


@dataclass(frozen=True)
class ContactDetails:
    kind: ContactKind
    value: str  # normalised: the address with its domain in lower case, or the number in E.164


def _emails(text: str) -> Iterator[ContactDetails]:
    for candidate in _EMAIL_CANDIDATE.findall(text):
        try:
            # No DNS lookup: the action must answer at once, and offline.
            address = validate_email(candidate.rstrip(_TRAILING_PUNCTUATION), check_deliverability=False)
        except EmailNotValidError:
            continue
        yield ContactDetails(ContactKind.EMAIL, address.normalized)


def _phones(text: str, region: str) -> Iterator[ContactDetails]:
    for match in phonenumbers.PhoneNumberMatcher(text, region):
        if phonenumbers.is_valid_number(match.number):
            yield ContactDetails(ContactKind.PHONE, phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164))


def parse_email(text: str) -> ContactDetails | None:
    return next(_emails(text), None)


def parse_phone(text: str, region: str = DEFAULT_PHONE_REGION) -> ContactDetails | None:
    """The first valid number in the text: national for `region`, or international with +."""
    return next(_phones(text, region), None)


def parse_contact(text: str, region: str = DEFAULT_PHONE_REGION) -> ContactDetails | None:
    """An email address if the text holds one, else a phone number, else None."""
    return parse_email(text) or parse_phone(text, region)


def contact_key(contact: str) -> str:
    """One email address or phone number however it is written: the address in lower case, the number
    in E.164 (as the bot stores it) when it parses as one."""
    text = contact.strip()
    if _PHONE_SHAPE.match(text):
        try:
            number = phonenumbers.parse(text, DEFAULT_PHONE_REGION)
            if phonenumbers.is_valid_number(number):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            pass
        return "".join(ch for ch in text if ch.isdigit() or ch == "+")
    return text.lower()


def looks_like_contact(text: str) -> bool:
    return "@" in text or bool(_PHONE_SHAPE.match(text.strip()))


def mentions(text: str, wanted: str) -> bool:
    """Whether `text` (a sentence) holds the contact whose contact_key() is `wanted`, however written there
    ("Jane.Doe@Example.com.", "06 12 34 56 78"). Only a valid number is found; a cheap test of the
    text's characters comes before any parsing, so most texts cost no parse at all."""
    if "@" in wanted:
        return "@" in text and any(contact_key(found.value) == wanted for found in _emails(text))
    try:
        national = str(phonenumbers.parse(wanted).national_number)
    except phonenumbers.NumberParseException:
        return False
    if national not in _NOT_DIGIT.sub("", text):
        return False
    return any(found.value == wanted for found in _phones(text, DEFAULT_PHONE_REGION))
