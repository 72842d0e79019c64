"""Whether Rasa's intent or the knowledge base decides a typed message.

DIET is trained on a few hundred examples; the knowledge base's matcher learns the same
hand-over examples (bot/data/nlu/handover.yml) beside every article's variants. DIET alone took
many questions told as stories ("the courier is at my door and the box is crushed, should I
accept it?") for complaints, and questions about a contact article for requests for a person.
So a hand-over intent stands only where the knowledge base does not contradict it:

- the knowledge base answers the message confidently: it is a question, answered;
- it declines as out of scope: the message is about nothing this help centre covers;
- it declines as unsure, and its own favourite is a hand-over example: both lean to a
  person, the hand-over stands; unsure between articles: declined like a question.

A button (`/request_human`) always stands: it says nothing about a topic.
"""
from __future__ import annotations

from knowledge.answering.engine import KnowledgeEngine
from knowledge.answering.triggers import reason_of_label
from knowledge.contract import Decision, DeclineReason, Outcome


def is_button(text: str) -> bool:
    return text.startswith("/")


def knowledge_leans_to_hand_over(engine: KnowledgeEngine, question: str, decision: Decision) -> bool:
    """An unsure decline whose best label in the knowledge base is a hand-over example."""
    if decision.outcome is not Outcome.DECLINE or decision.reason != DeclineReason.LOW_CONFIDENCE.value:
        return False
    ranking = engine.rank_variants(question, engine.embed([question])[0], decision.lang)
    return ranking.best is not None and reason_of_label(ranking.best) is not None


def handover_intent_stands(engine: KnowledgeEngine, question: str, decision: Decision) -> bool:
    """Whether a hand-over intent from NLU stands against the knowledge base's decision."""
    if not question or is_button(question) or decision.outcome is Outcome.ESCALATE:
        return True
    return knowledge_leans_to_hand_over(engine, question, decision)
