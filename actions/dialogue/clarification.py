"""Clarify instead of decline: when the question is most likely about one of two articles, too
close to tell apart, the bot asks "Did you mean: A / B?" with the titles as quick replies (the
two-stage fallback idea of Rasa), and the customer's choice answers.

The choice is read from the next message whatever NLU made of it: a button sends the title as
text, and a customer may type it, an ordinal ("the second one", "le premier") or a word only one
title has ("the delivery one").
"""
from __future__ import annotations

from rasa_sdk import Tracker

from actions import slots
from actions.dialogue.short_answers import chosen_option
from knowledge import wording
from knowledge.answering.engine import KnowledgeEngine
from knowledge.contract import Button, Decision, DeclineReason, Offer, Outcome, Reply, Source

# The runner-up must score at least this share of the favourite for the two to be "close".
CLOSE_SHARE = 0.35
# Together the two must be this likely (the engine's own "low confidence" bar).
LIKELY_TOGETHER = 0.5


def clarification_options(engine: KnowledgeEngine, decision: Decision) -> list[Source]:
    """The two articles to offer for an unsure decline, or none when it is not a close call
    between two ordinary articles in the customer's language."""
    if decision.outcome is not Outcome.DECLINE or decision.reason != DeclineReason.LOW_CONFIDENCE.value:
        return []
    articles = engine.snapshot.articles
    candidates = [
        s for s in decision.sources
        if s.article in articles and not articles[s.article].handoff and articles[s.article].lang == decision.lang
    ][:2]
    if len(candidates) < 2:
        return []
    first, second = candidates
    if first.score + second.score < LIKELY_TOGETHER or second.score < CLOSE_SHARE * first.score:
        return []
    return candidates


def clarify_reply(decision: Decision, options: list[Source]) -> Reply:
    """"Did you mean…?" with one quick reply per article and one for an advisor."""
    lang = decision.lang
    buttons = [Button(title=option.title, payload=option.title) for option in options]
    buttons.append(Button(title=wording.text("utter_clarify_advisor_button", lang), payload="/request_human"))
    text = wording.text("utter_clarify", lang)
    return Reply.from_decision(decision, text, offer=Offer.CLARIFY, buttons=tuple(buttons))


def chosen_article(engine: KnowledgeEngine, tracker: Tracker, text: str) -> str | None:
    """The article the customer picks among the ones offered by the bot's last message, if any."""
    offered = [a for a in (tracker.get_slot(slots.CLARIFY_OPTIONS) or []) if a in engine.snapshot.articles]
    if not offered:
        return None
    position = chosen_option(text, [engine.snapshot.articles[a].title for a in offered])
    return offered[position] if position is not None else None


def answer_from(engine: KnowledgeEngine, article_id: str, lang: str) -> Decision:
    """The decision to answer from the article the customer chose."""
    article = engine.snapshot.articles[article_id]
    return Decision(
        Outcome.ANSWER, article.body, lang, article=article_id, sources=[Source(article_id, article.title, 1.0)],
    )
