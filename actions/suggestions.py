"""Answers suggested to an advisor for a customer's message, for the web app rather than the dialogue:
the action server serves them at POST /suggestions (actions/server.py)."""
from __future__ import annotations

import numpy as np

from knowledge.answering.engine import KnowledgeEngine
from knowledge.contract import Suggestion

SUGGESTIONS = 3
# Enough of the answer for an advisor to judge it; the article has the rest.
TEXT_LIMIT = 600


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

