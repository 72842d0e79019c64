"""Answers suggested to an advisor for a customer's message, called by the web app, not the dialogue.

The web app posts to the action server's webhook with next_action `action_suggest_answers`,
the customer's message as the tracker's latest message and the conversation language in the
`language` slot; the reply holds one custom payload {"suggestions": [...]}, best first.
"""
from __future__ import annotations

import numpy as np
from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from typing_extensions import TypedDict

from actions import slots
from actions.collaborators import CollaboratingAction
from knowledge.answering.engine import KnowledgeEngine

SUGGESTIONS = 3
# Enough of the answer for an advisor to judge it; the article has the rest.
TEXT_LIMIT = 600


class SuggestionSource(TypedDict):
    article: str
    title: str
    score: float


class Suggestion(TypedDict):
    article: str
    title: str
    text: str
    confidence: float
    sources: list[SuggestionSource]


def trimmed(text: str, limit: int = TEXT_LIMIT) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(None, 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:") + "…"


def _softmax(scores: list[float]) -> list[float]:
    values = np.exp(np.asarray(scores) - max(scores))
    return [float(v) for v in values / values.sum()]


def suggest_articles(engine: KnowledgeEngine, question: str, lang: str, top: int = SUGGESTIONS) -> list[Suggestion]:
    """The articles the engine ranks highest for the question, answerable or not: advisors judge.

    Articles with question variants are scored by the classifier's probability; plain
    documents by their share (softmax) of the fused passage scores of the best documents.
    """
    text = question.strip()[: engine.settings.max_question_chars]
    if not text or engine.snapshot.is_empty:
        return []
    vector = engine.embed([text])[0]
    articles = engine.snapshot.articles
    confidence: dict[str, float] = {}
    variants = engine.rank_variants(text, vector, lang)
    for label, probability in zip(variants.labels, variants.scores):
        if label in articles:
            confidence[label] = max(confidence.get(label, 0.0), probability)
    passages = engine.rank_passages(text, vector, lang)
    if passages.labels:
        for label, share in zip(passages.labels, _softmax(passages.scores)):
            if label in articles:
                confidence[label] = max(confidence.get(label, 0.0), share)
    best = sorted(confidence.items(), key=lambda item: -item[1])[:top]
    return [
        {
            "article": label,
            "title": articles[label].title,
            "text": trimmed(articles[label].body),
            "confidence": round(score, 4),
            "sources": [{"article": label, "title": articles[label].title, "score": round(score, 4)}],
        }
        for label, score in best
    ]


class ActionSuggestAnswers(CollaboratingAction):
    def name(self) -> str:
        return "action_suggest_answers"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        question = tracker.latest_message.get("text") or ""
        engine = self.service.engine()
        lang = engine.language_of(question, hint=tracker.get_slot(slots.LANGUAGE))
        dispatcher.utter_message(json_message={"suggestions": suggest_articles(engine, question, lang)})
        return []
