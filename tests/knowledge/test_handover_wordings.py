"""Hand-overs on wordings the training data never saw, on the sample help centre in a real Chroma index.

The complaints and requests for a person below are in neither bot/data/nlu/handover.yml nor the
sample query files: they check that escalation generalises to how customers write, and the
ordinary questions check that it does not swallow questions an article answers.
"""
from __future__ import annotations

import pytest

from knowledge.answering.engine import KnowledgeEngine
from knowledge.answering.triggers import load_trigger_examples

COMPLAINTS = {
    "en": [
        "honestly your customer care is hopeless, I've been chasing you for a fortnight",
        "I am absolutely fuming, you cut off my line by mistake and nobody has apologised",
        "I wish to lodge a formal grievance about how my account was managed",
        "this company is a shambles, I've had it with you",
        "you said a technician would ring me on monday and he never did, appalling",
    ],
    "fr": [
        "je suis outré par la manière dont vous traitez vos clients",
        "ça fait quinze jours que je relance votre service et rien, c'est minable",
        "votre service est une catastrophe, je vais changer d'opérateur",
        "je n'en peux plus de vos erreurs à répétition",
        "on m'avait garanti un geste commercial et je n'ai jamais rien vu, je suis scandalisée",
    ],
}
PERSON_REQUESTS = {
    "en": [
        "could I please chat with one of your human colleagues",
        "I need a real advisor to look at this, not an automated reply",
        "put a person on the line please",
        "is a member of staff available to talk?",
        "can somebody from lumen phone me today",
    ],
    "fr": [
        "j'aimerais discuter avec un de vos conseillers humains",
        "est-ce qu'une vraie personne peut s'occuper de moi ?",
        "vous pourriez me faire parler à un de vos employés ?",
        "je souhaite qu'un membre du service client m'appelle",
        "branchez-moi sur une personne en chair et en os svp",
    ],
}
ORDINARY = {
    "en": [
        "how do I turn on my esim on an iphone",
        "what's the charge for calling home from spain",
        "can I pay my bill with paypal",
        "when will a phone I order today arrive at home",
        "my new phone won't charge, is it under warranty",
        "how do I change the address on my account",
        "where can I see my bill for last month",
        "need a new password, I can't remember mine",
        "how many days do I have to send back a phone I don't want",
        "no network in my flat since this morning, what can I check",
    ],
    "fr": [
        "comment activer ma esim",
        "combien coûte un appel depuis l'italie vers la france",
        "je peux payer par carte bancaire ?",
        "quel délai de livraison pour une commande",
        "mon téléphone neuf ne s'allume plus, il est sous garantie ?",
        "changement d'adresse postale sur mon compte",
        "où télécharger ma facture",
        "j'ai oublié mon mot de passe",
        "combien de jours pour retourner un téléphone",
        "je n'ai plus de réseau chez moi, que faire",
    ],
}


def _cases(by_language: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(text, lang) for lang, texts in by_language.items() for text in texts]


def test_the_wordings_tested_are_not_training_examples() -> None:
    trained = {example.text.casefold() for example in load_trigger_examples()}
    tested = {text.casefold() for _, text in _cases(COMPLAINTS) + _cases(PERSON_REQUESTS)}
    assert not tested & trained


@pytest.mark.parametrize(("question", "lang"), _cases(COMPLAINTS))
def test_complaints_in_everyday_words_escalate_as_complaints(sample_engine: KnowledgeEngine, question: str, lang: str) -> None:
    decision = sample_engine.decide(question, lang)
    assert (decision.outcome.value, decision.reason) == ("escalate", "complaint")


@pytest.mark.parametrize(("question", "lang"), _cases(PERSON_REQUESTS))
def test_requests_for_a_person_escalate_as_customer_requests(sample_engine: KnowledgeEngine, question: str, lang: str) -> None:
    decision = sample_engine.decide(question, lang)
    assert (decision.outcome.value, decision.reason) == ("escalate", "customer_request")


@pytest.mark.parametrize(("question", "lang"), _cases(ORDINARY))
def test_ordinary_questions_are_not_handed_over(sample_engine: KnowledgeEngine, question: str, lang: str) -> None:
    decision = sample_engine.decide(question, lang)
    assert decision.outcome.value != "escalate", (decision.reason, decision.article)
