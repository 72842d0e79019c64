"""Answers suggested to an advisor for a conversation, for the web app rather than the dialogue:
the action server serves them at POST /suggestions (actions/server.py).

They come from the customer's questions, newest first: a message with no topic ("I want to speak
to a human") gives way to the question before it, and no suggestion is better than noise.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from typing_extensions import TypedDict

from knowledge.answering.engine import KnowledgeEngine
from knowledge.answering.passages.excerpts import answering_passage
from knowledge.answering.triggers import NO_ANSWER_LABEL, reason_of_label
from knowledge.contract import EscalationReason, SourcePayload

SUGGESTIONS = 3
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


class ConversationSuggestion(TypedDict):
    """One suggested answer as the console reads it (the contract's `Suggestion`, plus what answers)."""

    article: str
    title: str
    text: str  # the article's whole answer, never cut
    passage: str | None  # the part of `text` that answers the question best (a substring of it), if it has parts
    question: str  # the customer's message it answers
    confidence: float
    sources: list[SourcePayload]


@dataclass(frozen=True)
class ArticleScore:
    article: str
    confidence: float


def _softmax(scores: list[float]) -> list[float]:
    values = np.exp(np.asarray(scores) - max(scores))
    return [float(v) for v in values / values.sum()]


def rank_articles(engine: KnowledgeEngine, text: str, vector: np.ndarray, lang: str) -> list[ArticleScore]:
    """Every article the engine ranks for the question, best first, answerable or not.

    Articles with question variants are scored by the classifier's probability; plain
    documents by their share (softmax) of the fused passage scores of the best documents.
    """
    articles = engine.snapshot.articles
    confidence: dict[str, float] = {}
    variants = engine.rank_variants(text, vector, lang)
    if variants.best == NO_ANSWER_LABEL or reason_of_label(variants.best or "") is EscalationReason.CUSTOMER_REQUEST:
        return []  # small talk or a request for a person: no topic, whatever words it shares with an article
    for label, probability in zip(variants.labels, variants.scores):
        if label in articles:
            confidence[label] = max(confidence.get(label, 0.0), probability)
    passages = engine.rank_passages(text, vector, lang)
    if passages.labels:
        for label, share in zip(passages.labels, _softmax(passages.scores)):
            if label in articles:
                confidence[label] = max(confidence.get(label, 0.0), share)
    return [ArticleScore(label, score) for label, score in sorted(confidence.items(), key=lambda item: -item[1])]


def suggestion_floor(engine: KnowledgeEngine, lang: str) -> float:
    """The lowest confidence worth an advisor's attention: the bot's own calibrated answer threshold
    (`Thresholds.answer_for(lang)`), applied to an article's score rather than to its lead over the
    runner-up. The bot needs the lead because it answers alone; an advisor sees two close articles
    side by side and picks, so both are shown when each is as likely as the bot needs one to be."""
    return engine.thresholds.answer_for(lang)


def _paragraphs(body: str) -> list[str]:
    return [part.strip() for part in _PARAGRAPH_BREAK.split(body) if part.strip()]


def answering_part(engine: KnowledgeEngine, article_id: str, question: str, vector: np.ndarray) -> str | None:
    """The part of the article that answers: the engine's passage for a long article, else its
    paragraph closest to the question; None when the article is a single paragraph."""
    body = engine.snapshot.articles[article_id].body.strip()
    passage = answering_passage(engine.snapshot, article_id, question, vector)
    if passage and passage in body:
        return passage
    paragraphs = _paragraphs(body)
    if len(paragraphs) < 2:
        return None
    vectors = engine.embed(paragraphs)
    norms = np.linalg.norm(vectors, axis=1) * (float(np.linalg.norm(vector)) or 1.0)
    similarity = (vectors @ np.asarray(vector, dtype=np.float32)) / np.where(norms > 0, norms, 1.0)
    return paragraphs[int(np.argmax(similarity))]


def _suggestion(engine: KnowledgeEngine, scored: ArticleScore, question: str, vector: np.ndarray) -> ConversationSuggestion:
    article = engine.snapshot.articles[scored.article]
    score = round(scored.confidence, 4)
    return {
        "article": article.id,
        "title": article.title,
        "text": article.body.strip(),
        "passage": answering_part(engine, article.id, question, vector),
        "question": question,
        "confidence": score,
        "sources": [{"article": article.id, "title": article.title, "score": score}],
    }


def is_button_payload(text: str) -> bool:
    """A pressed button ("/request_human") says nothing about the topic."""
    return text.strip().startswith("/")


def suggest_for_conversation(
    engine: KnowledgeEngine, questions: Sequence[str], lang: str, top: int = SUGGESTIONS
) -> list[ConversationSuggestion]:
    """Suggestions for the customer's messages, newest first: those of the newest message with a
    topic (an article at or above `suggestion_floor`), then the earlier ones' to fill `top`.
    Empty when no message has a topic."""
    if engine.snapshot.is_empty:
        return []
    floor = suggestion_floor(engine, lang)
    chosen: list[ConversationSuggestion] = []
    for question in questions:
        text = question.strip()[: engine.settings.max_question_chars]
        if not text or is_button_payload(text):
            continue
        vector = engine.embed([text])[0]
        taken = {item["article"] for item in chosen}
        for scored in rank_articles(engine, text, vector, lang):
            if len(chosen) >= top or scored.confidence < floor:
                break
            if scored.article not in taken:
                chosen.append(_suggestion(engine, scored, text, vector))
        if len(chosen) >= top:
            break
    return chosen


def suggest_articles(engine: KnowledgeEngine, question: str, lang: str, top: int = SUGGESTIONS) -> list[ConversationSuggestion]:
    """Suggestions for one message alone."""
    return suggest_for_conversation(engine, [question], lang, top)
