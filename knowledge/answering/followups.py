"""Follow-up questions: a turn that only makes sense with the one before it.

"how much is roaming in the US" → "and in Canada?" : the second turn alone is about nothing
the help centre covers; read with the conversation's last question it is about roaming. The
rule, in the order it is applied:

1. A turn the knowledge base answers or hands over on its own stands on its own: a complete
   new question is never pulled towards the old topic (but see 3 for one that points back).
2. Otherwise, a turn that reads as a follow-up (it starts with "and", "what about", "et si"…,
   says "too" or "aussi", points back with "it", "ça"…, or is a few words long and the
   knowledge base is unsure about it rather than sure it is off-topic) is decided again as
   the last question followed by this turn. That reading is kept only when the
   knowledge base answers it (or it names a sensitive article) at the same calibrated
   thresholds as any question, so a follow-up meets the same conformity bar.
3. Such a turn that still finds nothing is read as being about the last topic's
   article: its title followed by the turn ("Returns within 14 days: et si la boîte est
   ouverte ?"). Kept only when that reading answers from that same article: the turn may
   refine the topic, never move it. A turn that points back but was answered alone from
   another article ("does that link expire?" after changing one's email) goes to the last
   topic only if that reading is the more confident one.
4. Small talk alone ("thanks", "hello?", "non merci") is never a follow-up.

The last question kept as context is the last one that stood on its own: "can I pay in
installments" → "what about by paypal?" → "and bank transfer?" reads the third turn as
"can I pay in installments and bank transfer?".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from knowledge.answering.engine import KnowledgeEngine
from knowledge.answering.passages.retrieval import STOPWORDS
from knowledge.contract import Decision, EscalationReason, Outcome

# Words of a turn that carry no topic: what is left after removing them decides whether the
# turn says anything the last question could complete. Small-talk words, the function words
# the lexical matcher leaves out, and a few common verbs and adverbs.
_SMALL_TALK_WORDS = frozenset("""
    a ah alright and any anyone are bye can cheers cool could do else eh er fine for good
    great have hello hey hi hm hmm how i is it me more my nah no nope of oh ok okay on or
    perfect please really right so sorry sure thank thanks that the then there thx to too
    u uh um what wow yeah yep yes you
    ah alors au aussi bah ben bien bon bonjour bonsoir bye ca ça d'accord de des du donc
    est et euh hein la le les merci mais mon ne non ok oui ouais par parfait pas plus pour
    quoi salut si stp super svp tu un une vous y en
    been get got more some just still only very about any also even same
    ai as avez avons ont suis es être etre avoir fait faire meme même deja déjà tout tous toute encore accord
""".split())
FILLER_WORDS = _SMALL_TALK_WORDS | frozenset(" ".join(STOPWORDS.values()).split())
# Elided French articles and pronouns ("l'ai", "c'est", "qu'il"): the word after them counts.
_ELISION = re.compile(r"^(?:[cdjlmnst]|qu)['’]", re.IGNORECASE)
# A turn that starts like this continues the last one.
_LEADING_CUES = re.compile(
    r"^\s*(?:ok(?:ay)?[,\s]+)?(?:and|what about|how about|what if|and if|also|same|or|but|then|"
    r"et|et si|et pour|et pour les?|et avec|et en|et les?|et la|et mon|et ma|aussi|pareil|même chose|ou|mais|alors|"
    r"dans ce cas|in that case)\b",
    re.IGNORECASE,
)
# Words that point back to the last question's topic.
_POINTING_BACK = re.compile(
    r"\b(?:it|its|it's|that|this|those|these|them|they|there|one|too|as well|either|also|"
    r"ça|ca|cela|ceci|celui|celle|celle-ci|celui-ci|aussi|également|egalement|pareil)\b",
    re.IGNORECASE,
)
# A turn this short (in topic words) is read with the last question when it cannot stand alone.
SHORT_TURN_WORDS = 4
# A turn the base finds off-topic with more topic words than this has a topic of its own.
OWN_TOPIC_WORDS = 3
# The most words of context kept: the last question that stood on its own is rarely longer.
CONTEXT_WORDS = 40
_WORD = re.compile(r"[\w'’-]+", re.UNICODE)


def topic_words(text: str) -> list[str]:
    words = (_ELISION.sub("", m.group(0).lower()).strip("'’-") for m in _WORD.finditer(text))
    return [w for w in words if w and w not in FILLER_WORDS]


def points_back(text: str) -> bool:
    """The turn says it continues the last one: "and …", "et si …", "is it free?", "my email too"."""
    return bool(topic_words(text)) and bool(_LEADING_CUES.search(text) or _POINTING_BACK.search(text))


def reads_as_follow_up(text: str) -> bool:
    """Whether the turn may continue the last question: it has a topic word of its own and a
    cue ("and …?", "et si …", "is it free?", "my email too") or only a few words."""
    words = topic_words(text)
    if not words:
        return False
    return bool(_LEADING_CUES.search(text) or _POINTING_BACK.search(text)) or len(words) <= SHORT_TURN_WORDS


@dataclass(frozen=True)
class TurnContext:
    """What a conversation remembers for its next turn."""

    question: str  # the last question that stood on its own (or was read as one)
    article: str | None = None  # the article the last turn was about: answered, or the favourite of an unsure decline
    answered: bool = False  # the bot answered from `article` (rather than being unsure about it)


@dataclass(frozen=True)
class ContextualDecision:
    decision: Decision
    understood_as: str  # the text that was decided: the turn, or the last question followed by it
    follow_up: bool  # the turn was read with the last question


def _combined(context: TurnContext, text: str) -> str:
    words = context.question.split()
    return " ".join(words[-CONTEXT_WORDS:] + [text.strip()])


def _accepts(decision: Decision) -> bool:
    """What a follow-up reading may lead to: an answer, or a sensitive article's hand-over."""
    if decision.outcome is Outcome.ANSWER:
        return True
    return (decision.outcome is Outcome.ESCALATE and decision.reason == EscalationReason.SENSITIVE.value
            and decision.article is not None)


def on_topic(engine: KnowledgeEngine, context: TurnContext, text: str, lang: str) -> Decision | None:
    """The turn read as being about the last topic's article, if that reading answers from it
    (or hands over for it, for a sensitive article)."""
    topic = engine.snapshot.articles.get(context.article or "")
    if topic is None:
        return None
    decision = engine.decide(f"{topic.title}: {text.strip()}", lang)
    return decision if _accepts(decision) and decision.article == topic.id else None


# An unsure decline whose favourite article has at least this score is "unsure" rather than
# about something the help centre does not cover.
UNSURE_FAVOURITE = 0.2


def _unsure_about_an_article(decision: Decision) -> bool:
    return (decision.reason == "low_confidence" and bool(decision.sources)
            and decision.sources[0].score >= UNSURE_FAVOURITE)


def decide_in_context(
    engine: KnowledgeEngine, text: str, lang: str | None, context: TurnContext | None,
    vector: np.ndarray | None = None,
) -> ContextualDecision:
    """The decision for a turn, read with the last question when it only makes sense with it."""
    alone = engine.decide(text, lang, vector=vector)
    if context is None or not context.question.strip() or not reads_as_follow_up(text):
        return ContextualDecision(alone, text, False)
    combined_text = _combined(context, text)
    if alone.outcome is Outcome.ANSWER:
        # Answered alone, but pointing back ("does that link expire?", "my phone number too"):
        # the last topic wins if reading the turn as about it answers more confidently.
        if points_back(text) and context.article and alone.article != context.article:
            about_topic = on_topic(engine, context, text, alone.lang)
            if about_topic is not None and (about_topic.confidence or 0.0) > (alone.confidence or 0.0):
                return ContextualDecision(about_topic, combined_text, True)
        return ContextualDecision(alone, text, False)
    if alone.outcome is not Outcome.DECLINE:
        return ContextualDecision(alone, text, False)
    # Only a turn that points back, or a short one the knowledge base is unsure about, is read
    # with the last question: a short one about something it does not cover ("do you sell
    # pizza?", "vous recrutez ?") would only borrow the last question's topic.
    # Unsure about an article; or, right after an answer, unsure and leaning to that same article.
    leaning_back = (context.answered and alone.reason == "low_confidence" and bool(alone.sources)
                    and alone.sources[0].article == context.article)
    unsure = _unsure_about_an_article(alone) or leaning_back
    if not (points_back(text) or unsure):
        return ContextualDecision(alone, text, False)
    if alone.reason == "out_of_scope" and len(topic_words(text)) > OWN_TOPIC_WORDS:
        # "vous faites aussi les box internet ?": a topic of its own, which the base does not cover.
        return ContextualDecision(alone, text, False)
    combined = engine.decide(combined_text, alone.lang)
    if _accepts(combined):
        return ContextualDecision(combined, combined_text, True)
    # An unsure favourite is a topic only for a turn that points back at it ("is it free?"),
    # not for a short one about something else ("delivery or return").
    about_topic = on_topic(engine, context, text, alone.lang) if context.answered or points_back(text) else None
    if about_topic is not None:
        return ContextualDecision(about_topic, combined_text, True)
    return ContextualDecision(alone, text, False)


def _topic_of(decision: Decision) -> str | None:
    """The article a turn was about: the one answered or handed over for, else an unsure favourite."""
    if decision.article:
        return decision.article
    if decision.reason == "low_confidence" and decision.sources:
        return decision.sources[0].article
    return None


def next_context(context: TurnContext | None, text: str, result: ContextualDecision) -> TurnContext | None:
    """What the conversation remembers after this turn: a question that stood on its own
    replaces the context; a follow-up keeps its question (and moves to the article it found);
    a turn of small talk alone changes nothing."""
    answered = result.decision.outcome is Outcome.ANSWER
    if result.follow_up and context is not None:
        return TurnContext(context.question, _topic_of(result.decision) or context.article, answered or context.answered)
    if not topic_words(text):
        return context
    if result.decision.outcome is Outcome.DECLINE and reads_as_follow_up(text) and context is not None:
        return context  # a follow-up that still made no sense: the topic has not changed
    if result.decision.reason in ("empty_question", "too_long"):
        return context
    return TurnContext(text.strip(), _topic_of(result.decision), answered)
