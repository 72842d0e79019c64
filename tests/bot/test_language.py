"""The language scorer and the Rasa component that turns it into an entity."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from knowledge.language import detect_language, score_language

if TYPE_CHECKING:
    from bot.components.language import LanguageDetector


FRENCH = [
    "bonjour",
    "merci beaucoup",
    "oui",
    "non",
    "je veux parler à un conseiller",
    "où est mon colis ?",
    "Je n’ai pas reçu ma facture",  # typographic apostrophe
    "j'ai perdu mon téléphone",
    "mot de passe oublié",
    "comment activer ma eSIM",
    "réseau",
    "BONJOUR, MA FACTURE EST FAUSSE",
    "c'est quoi ce prélèvement",
    "s'il vous plaît",
    "Hello, je voudrais résilier mon forfait",  # French wins over one English word
]
ENGLISH = [
    "hello",
    "thanks a lot",
    "yes",
    "no",
    "I want to talk to a person",
    "where is my parcel?",
    "I don't get it",
    "I’m locked out of my account",  # typographic apostrophe
    "forgot password",
    "how do I set up an eSIM",
    "WHY IS MY BILL SO HIGH",
    "my phone was stolen",
    "what's the roaming price in Canada",
    "Bonjour, I need help with the bill for my phone",  # English wins
    "can I get a refund",
]
UNCLEAR = [  # no language
    "",
    "ok",
    "OK!",
    "SIM",
    "eSIM",
    "agent",
    "5G",
    "123456",
    "???",
    "iPhone 15 Pro",
    "I want un conseiller",  # as much English as French
    "asdfgh qwerty",
]


@pytest.mark.parametrize(
    ("text", "lang"), [(t, "fr") for t in FRENCH] + [(t, "en") for t in ENGLISH] + [(t, None) for t in UNCLEAR]
)
def test_a_message_has_the_language_it_is_written_in_or_none_when_unclear(text: str, lang: str | None) -> None:
    assert detect_language(text) == lang


def test_accented_words_outside_the_word_lists_count_as_french() -> None:
    assert score_language("Schrödinger") == (0, 1)
    assert detect_language("désimlocker") == "fr"


def test_elisions_and_contractions_count_as_evidence() -> None:
    # "l'" and "d'" mark French; "'s" and "n't" mark English.
    assert score_language("l'appli d'Lumen").fr == 2
    assert score_language("Lumen's app isn't").en == 2


def test_evidence_must_clearly_outweigh_the_other_language() -> None:
    # fr 2, en 1: French wins at exactly twice the English evidence...
    assert detect_language("bonjour merci hello") == "fr"
    # ...but not with less than that (fr 3, en 2).
    assert detect_language("bonjour merci oui hello thanks") is None


def _detector(tmp_path: Path, examples: list[str] | None = None) -> "LanguageDetector":
    """A detector as Rasa makes it: created, trained on NLU examples, then loaded from the model."""
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.components.language import LanguageDetector

    storage, resource = LocalModelStorage(tmp_path), Resource("language_detector")
    context = ExecutionContext(GraphSchema({}), "test")
    detector = LanguageDetector.create({}, storage, resource, context)
    if examples is None:
        return detector
    detector.train(TrainingData([Message(data={"text": text, "intent": "ask_question"}) for text in examples]))
    return LanguageDetector.load({}, storage, resource, context)


# NLU examples the scorer can tell, with domain words that only one language uses.
EXAMPLES = [
    "où est ma commande ?", "je veux suivre ma commande", "ma garantie est-elle valable ?",
    "la garantie couvre quoi ?", "comment faire un retour ?", "le retour est gratuit ?",
    "where is my shipment?", "how much is shipping?", "is my warranty still valid?",
    "what does the warranty cover?", "how do I send a return?",
]


class TestLanguageDetectorComponent:
    """The Rasa component adds the scorer's answer as a whole-message entity; for messages the
    scorer cannot tell, the words one language alone uses in the NLU examples."""

    @staticmethod
    def _process(text: str, detector: "LanguageDetector") -> list[dict]:
        from rasa.shared.nlu.training_data.message import Message

        message = Message(data={"text": text})
        detector.process([message])
        return message.get("entities", [])

    def test_adds_a_language_entity_spanning_the_message(self, tmp_path: Path) -> None:
        assert self._process("je veux un conseiller", _detector(tmp_path)) == [
            {
                "entity": "language",
                "value": "fr",
                "start": 0,
                "end": 21,
                "extractor": "LanguageDetector",
            }
        ]

    def test_keeps_entities_from_earlier_extractors(self, tmp_path: Path) -> None:
        from rasa.shared.nlu.training_data.message import Message

        earlier = {"entity": "product", "value": "phone", "start": 8, "end": 13}
        message = Message(data={"text": "my lost phone", "entities": [earlier]})
        _detector(tmp_path).process([message])
        assert [e["entity"] for e in message.get("entities")] == ["product", "language"]

    def test_adds_nothing_when_unsure(self, tmp_path: Path) -> None:
        assert self._process("ok", _detector(tmp_path, EXAMPLES)) == []

    def test_keywords_take_the_language_of_the_training_words_they_use(self, tmp_path: Path) -> None:
        detector = _detector(tmp_path, EXAMPLES)
        assert detect_language("suivi commande") is None and detect_language("warranty claim") is None
        assert [e["value"] for e in self._process("suivi commande", detector)] == ["fr"]
        assert [e["value"] for e in self._process("garantie telephone", detector)] == ["fr"]  # accents folded
        assert [e["value"] for e in self._process("warranty claim", detector)] == ["en"]
        # Words of both languages, or a button's payload: no language.
        assert self._process("commande warranty", detector) == []
        assert self._process("/request_human", detector) == []

    def test_untrained_it_is_the_scorer_alone(self, tmp_path: Path) -> None:
        assert self._process("suivi commande", _detector(tmp_path)) == []
