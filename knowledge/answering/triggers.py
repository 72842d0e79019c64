"""Escalation triggers (asking for a person, complaining) learnt from the Rasa NLU data.

The same examples train Rasa's intent classifier and the knowledge base's matcher, so the
decision code escalates the same questions with or without the Rasa server in front.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.contract import EscalationReason
from knowledge.settings import NLU_DATA


TRIGGER_INTENTS = {
    "request_human": EscalationReason.CUSTOMER_REQUEST,
    "complaint": EscalationReason.COMPLAINT,
}
TRIGGER_PREFIX = "@"
_ENTITY_MARKUP = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")


@dataclass(frozen=True)
class TriggerExample:
    label: str  # "@request_human", "@complaint"
    text: str


def trigger_label(intent: str) -> str:
    return f"{TRIGGER_PREFIX}{intent}"


def reason_of_label(label: str) -> EscalationReason | None:
    if not label.startswith(TRIGGER_PREFIX):
        return None
    return TRIGGER_INTENTS.get(label[len(TRIGGER_PREFIX) :])


def load_intent_examples(intents: tuple[str, ...] | set[str], folder: Path = NLU_DATA) -> list[tuple[str, str]]:
    """(intent, example text) for the given intents in Rasa's NLU files, markup removed."""
    examples: list[tuple[str, str]] = []
    for path in sorted(folder.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in document.get("nlu", []) or []:
            intent = block.get("intent")
            if intent not in intents:
                continue
            for line in str(block.get("examples", "")).splitlines():
                text = line.strip()
                if text.startswith("- "):
                    text = _ENTITY_MARKUP.sub(lambda m: m.group(1) or m.group(2), text[2:].strip())
                    if text:
                        examples.append((intent, text))
    return examples


def load_trigger_examples(folder: Path = NLU_DATA) -> list[TriggerExample]:
    return [TriggerExample(trigger_label(intent), text) for intent, text in load_intent_examples(set(TRIGGER_INTENTS), folder)]

