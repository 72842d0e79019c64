"""What a reply shows of the article it names (see knowledge/answering/passages/excerpts.py for the choices):
an answer from a long article shows the passage that answers first, with the whole article one
click away; a sensitive hand-over shows the article's urgent steps at once."""
from __future__ import annotations

from knowledge.answering.engine import KnowledgeEngine
from knowledge.answering.generation import generate_answer
from knowledge.answering.passages.excerpts import answering_passage, help_path, urgent_steps
from knowledge.contract import Decision, EscalationReason, Reply
from knowledge.settings import KnowledgeSettings


def answer_reply(engine: KnowledgeEngine, question: str, decision: Decision, settings: KnowledgeSettings) -> Reply:
    """The reply to an answer decision: a generated answer when an LLM is configured and answers,
    else the article's own words, cut to the passage that answers when the article is long."""
    article = engine.snapshot.articles.get(decision.article or "")
    if article is None:
        return Reply.from_decision(decision)
    text = generate_answer(question, article, decision.lang, settings)
    if text != article.body:  # generated from the article for this question already
        return Reply.from_decision(decision, text)
    passage = answering_passage(engine.snapshot, article.id, question, engine.embed([question])[0])
    if passage is None:
        return Reply.from_decision(decision, article.body)
    return Reply.from_decision(decision, passage, more_url=help_path(article.id))


def urgent_steps_for(engine: KnowledgeEngine, decision: Decision) -> str | None:
    """The urgent steps to show with a sensitive hand-over that names a `handoff: true` article."""
    if decision.reason != EscalationReason.SENSITIVE.value or not decision.article:
        return None
    article = engine.snapshot.articles.get(decision.article)
    if article is None or not article.handoff:
        return None
    return urgent_steps(article) or None
