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

# Vague openings and off-topic questions that train NO_ANSWER_LABEL (the file says why).
NO_ANSWER_EXAMPLES = Path(__file__).parent.parent / "no_answer_examples.yml"


TRIGGER_INTENTS = {
    "request_human": EscalationReason.CUSTOMER_REQUEST,
    "complaint": EscalationReason.COMPLAINT,
}
TRIGGER_PREFIX = "@"
# Not a trigger: the label of reviewed questions that no article answers. A question it ranks
# first is declined; it teaches the classifiers what near-domain traffic the base does not cover.
NO_ANSWER_LABEL = "@no_answer"
# Rasa's small-talk intents: their examples train NO_ANSWER_LABEL too, so that "hello", "ok" or
# "no thanks" reads as saying nothing the base answers, never as a short request for a person
# (the reviewed requests "agent pls", "representative" pulled such turns towards @request_human).
# Like the no-answer examples, they are left out where an article of the base answers them
# (variants.without_answered_examples: CLINC150 has articles for "thank you", "yes", "no").
SMALL_TALK_INTENTS = ("greet", "goodbye", "thank", "affirm", "deny")
_ENTITY_MARKUP = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")


@dataclass(frozen=True)
class TriggerExample:
    label: str  # "@request_human", "@complaint", or NO_ANSWER_LABEL for small talk
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



def load_small_talk_examples(folder: Path = NLU_DATA) -> list[TriggerExample]:
    return [TriggerExample(NO_ANSWER_LABEL, text) for _, text in load_intent_examples(set(SMALL_TALK_INTENTS), folder)]


def load_no_answer_examples(path: Path = NO_ANSWER_EXAMPLES) -> list[TriggerExample]:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [TriggerExample(NO_ANSWER_LABEL, str(text)) for texts in document.values() for text in texts or []]


def load_matcher_examples(folder: Path = NLU_DATA) -> list[TriggerExample]:
    """What the knowledge base's matcher learns besides the articles: Rasa's examples of requests
    for a person, complaints and small talk, and the shipped no-answer examples."""
    return load_trigger_examples(folder) + load_small_talk_examples(folder) + load_no_answer_examples()
