"""Rasa graph component that tags each message with the language it is written in."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from knowledge.language import Language, detect_language

LANGUAGE_ENTITY = "language"
VOCABULARY_FILE = "vocabulary.json"

# A word of the training examples speaks for a language when it was seen at least this often
# in examples of that language, and at least this many times as often as in the other one.
MIN_COUNT = 2
MIN_RATIO = 3.0
_WORD = re.compile(r"[a-z]{3,}")


def _words(text: str) -> list[str]:
    """Lower-case words of three letters or more, accents removed ("telephone" as "téléphone")."""
    folded = unicodedata.normalize("NFKD", text.lower())
    return _WORD.findall("".join(c for c in folded if not unicodedata.combining(c)))


def learn_vocabulary(texts: List[Text]) -> Dict[str, Language]:
    """The words that only one language uses in the examples whose language the scorer can tell."""
    counts: Dict[str, Counter[str]] = {"en": Counter(), "fr": Counter()}
    for text in texts:
        language = detect_language(text)
        if language is not None:
            counts[language].update(set(_words(text)))
    vocabulary: Dict[str, Language] = {}
    for language, other in (("en", "fr"), ("fr", "en")):
        for word, count in counts[language].items():
            if count >= MIN_COUNT and count >= MIN_RATIO * counts[other][word]:
                vocabulary[word] = language  # type: ignore[assignment]
    return vocabulary


def guess_language(text: str, vocabulary: Dict[str, Language]) -> Optional[Language]:
    """For a message the scorer cannot tell ("suivi commande", "warranty claim"): the language
    whose training words it uses, if they all agree."""
    votes = Counter(vocabulary[word] for word in _words(text) if word in vocabulary)
    if len(votes) != 1:
        return None
    return next(iter(votes))


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True
)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Adds a `language` entity (`en` or `fr`) spanning the whole message.

    The scorer of knowledge.language decides; for a message it cannot tell, such as a few
    keywords ("suivi commande"), words that only one language uses in the NLU examples
    decide. Nothing is added when neither can tell ("ok", "SIM"), so the `language` slot,
    filled from this entity, keeps the language of earlier messages.
    """

    def __init__(self, model_storage: ModelStorage, resource: Resource, vocabulary: Dict[str, Language]) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls(model_storage, resource, {})

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LanguageDetector:
        try:
            with model_storage.read_from(resource) as folder:
                vocabulary = json.loads((folder / VOCABULARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            vocabulary = {}
        return cls(model_storage, resource, vocabulary)

    def train(self, training_data: TrainingData) -> Resource:
        self.vocabulary = learn_vocabulary([m.get(TEXT) or "" for m in training_data.intent_examples])
        with self._model_storage.write_to(self._resource) as folder:
            (folder / VOCABULARY_FILE).write_text(json.dumps(self.vocabulary, sort_keys=True), encoding="utf-8")
        return self._resource

    def language_of(self, text: str) -> Optional[Language]:
        if text.startswith("/"):
            return None  # a button's payload
        return detect_language(text) or guess_language(text, self.vocabulary)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            language = self.language_of(text)
            if language is None:
                continue
            entity = {
                ENTITY_ATTRIBUTE_TYPE: LANGUAGE_ENTITY,
                ENTITY_ATTRIBUTE_VALUE: language,
                ENTITY_ATTRIBUTE_START: 0,
                ENTITY_ATTRIBUTE_END: len(text),
            }
            message.set(
                ENTITIES,
                message.get(ENTITIES, []) + self.add_extractor_name([entity]),
                add_to_output=True,
            )
        return messages
