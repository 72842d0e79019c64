"""What the bot says, read from the one home of its wording: the responses of domain.yml.

Rasa utters some responses itself (small talk, the rules' ones). The others are said by
the actions, whose payload must carry the text, and by the knowledge engine for callers
without Rasa (`python -m knowledge ask`, evaluation, preview): they render the response
here the way Rasa does, picking the variation whose `language` slot condition names the
language, else the one without condition, and filling `{name}` template variables.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.contract import Button, EscalationReason
from knowledge.settings import REPO_ROOT

DOMAIN_PATH = REPO_ROOT / "domain.yml"
LANGUAGE_SLOT = "language"

ESCALATION_RESPONSES = {
    EscalationReason.SENSITIVE: "utter_escalate_sensitive",
    EscalationReason.CUSTOMER_REQUEST: "utter_escalate_on_request",
    EscalationReason.COMPLAINT: "utter_escalate_complaint",
    EscalationReason.NOT_HELPFUL: "utter_escalate_not_helpful",
    EscalationReason.LOW_CONFIDENCE: "utter_escalate_on_request",
    EscalationReason.REPEATED_FAILURE: "utter_escalate_repeated_failure",
}


class UnknownResponse(KeyError):
    """domain.yml has no such response, or no variation of it for the language."""


@dataclass(frozen=True)
class Utterance:
    text: str
    buttons: tuple[Button, ...] = ()


@lru_cache(maxsize=4)
def domain_responses(path: Path = DOMAIN_PATH) -> dict[str, list[dict[str, Any]]]:
    """domain.yml's responses, read once per process."""
    domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return dict(domain.get("responses") or {})


def _language_of_variation(variation: dict[str, Any]) -> str | None:
    """The language a variation's condition names; None for the unconditional variation."""
    conditions = variation.get("condition") or []
    for condition in conditions:
        if condition.get("type") != "slot" or condition.get("name") != LANGUAGE_SLOT:
            raise ValueError(f"only conditions on the `{LANGUAGE_SLOT}` slot are supported here: {condition}")
    return str(conditions[0]["value"]) if conditions else None


def utterance(name: str, lang: str, **values: Any) -> Utterance:
    """Response `name` in `lang` (its unconditional variation for any other language), filled with `values`."""
    variations = domain_responses().get(name)
    if not variations:
        raise UnknownResponse(name)
    by_language = {_language_of_variation(variation): variation for variation in variations}
    chosen = by_language.get(lang) or by_language.get(None)
    if chosen is None:
        raise UnknownResponse(f"{name} has no variation for {lang!r} and none without condition")
    buttons = tuple(Button(title=str(b["title"]).format_map(values), payload=str(b["payload"]))
                    for b in chosen.get("buttons") or [])
    return Utterance(str(chosen["text"]).format_map(values), buttons)


def text(name: str, lang: str, **values: Any) -> str:
    return utterance(name, lang, **values).text


def decline_text(lang: str) -> str:
    return text("utter_decline", lang)


def escalate_text(reason: EscalationReason, lang: str) -> str:
    return text(ESCALATION_RESPONSES[reason], lang)


def empty_text(lang: str) -> str:
    return text("utter_empty_question", lang)


def too_long_text(lang: str, limit: int) -> str:
    return text("utter_too_long", lang, limit=limit)
