"""Checks before publishing: question variants as a regression suite, and duplicate articles.

Every question variant the bot answers today from its own article is a test: after the
publish it must still be answered from that article. A variant that would be answered from
another article, or no longer answered, is a regression; the publish is blocked unless the
editor confirms. Duplicates (the same answer, a near-identical text, a question variant
claimed by two articles) are flagged, not blocked.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from knowledge.articles import Article
from knowledge.answering.engine import KnowledgeEngine
from knowledge.contract import Decision, Outcome
from knowledge.text import fold

# Cosine of two articles' title-and-answer embeddings above which they are flagged. The
# closest distinct articles of the sample help centre, clinc150 and PIAF score 0.79, 0.86
# and 0.90; clinc150's "meeting-schedule" and "schedule-meeting" score 0.99.
NEAR_DUPLICATE = 0.92


class RegressionKind(str, Enum):
    ANSWERED_FROM_ANOTHER = "answered_from_another"
    NO_LONGER_ANSWERED = "no_longer_answered"


@dataclass(frozen=True)
class Regression:
    article: str  # the article the variant belongs to, and is answered from today
    question: str
    lang: str
    outcome: str  # what the bot would do after the publish: answer, escalate, decline
    answered_from: str | None  # the article it would answer (or escalate) from
    reason: str | None
    confidence: float | None

    @property
    def kind(self) -> RegressionKind:
        if self.outcome in (Outcome.ANSWER.value, Outcome.ESCALATE.value) and self.answered_from not in (None, self.article):
            return RegressionKind.ANSWERED_FROM_ANOTHER
        return RegressionKind.NO_LONGER_ANSWERED

    def __str__(self) -> str:
        if self.kind is RegressionKind.ANSWERED_FROM_ANOTHER:
            now = f"would be answered from {self.answered_from}"
        else:
            now = f"would {self.outcome}" + (f" ({self.reason})" if self.reason else "")
        return f"{self.article}: \"{self.question}\" {now}"


@dataclass(frozen=True)
class VariantMiss:
    """A variant of an added or changed article that the new version would not answer from it."""

    article: str
    question: str
    outcome: str
    answered_from: str | None
    reason: str | None

    def __str__(self) -> str:
        now = f"answered from {self.answered_from}" if self.answered_from else self.outcome
        return f"{self.article}: \"{self.question}\" -> {now}" + (f" ({self.reason})" if self.reason else "")


@dataclass(frozen=True)
class Overlap:
    """An added or changed article and another one that answer the same questions: they may repeat
    or contradict each other (flagged, not blocked)."""

    article: str  # the added or changed article
    other: str
    question: str
    reverse: bool  # False: a question of `article` the live bot answers from `other`; True: a question of
    # `other` that the new version would answer from `article`

    def __str__(self) -> str:
        if self.reverse:
            return (f"{self.article} would answer \"{self.question}\", a question of {self.other}: "
                    "do they overlap or contradict each other?")
        return (f"{self.article}: \"{self.question}\" is answered today from {self.other}: "
                "do they overlap or contradict each other?")


class DuplicateKind(str, Enum):
    SAME_ANSWER = "same_answer"
    NEAR_DUPLICATE = "near_duplicate"
    SHARED_QUESTION = "shared_question"


@dataclass(frozen=True)
class Duplicate:
    first: str
    second: str
    kind: DuplicateKind
    similarity: float
    shared_questions: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if self.kind is DuplicateKind.SHARED_QUESTION:
            shown = "; ".join(f'"{q}"' for q in self.shared_questions[:3])
            more = f" and {len(self.shared_questions) - 3} more" if len(self.shared_questions) > 3 else ""
            return f"{self.first} and {self.second} share question variants: {shown}{more}"
        if self.kind is DuplicateKind.SAME_ANSWER:
            return f"{self.first} and {self.second} have the same answer"
        return f"{self.first} and {self.second} are near-duplicates (similarity {self.similarity:.2f})"


def serves(decision: Decision, article: Article) -> bool:
    """The bot does what this article is for: answers from it, or hands over for a handoff article."""
    if decision.article != article.id:
        return False
    return decision.outcome is Outcome.ANSWER or (article.handoff and decision.outcome is Outcome.ESCALATE)


def _variants(engine: KnowledgeEngine, articles: Sequence[Article]) -> list[tuple[Article, str, np.ndarray]]:
    """Every question variant of these articles, with its embedding (one batch)."""
    cases = [(article, question) for article in articles for question in article.questions]
    vectors = engine.embed([question for _, question in cases]) if cases else []
    return [(article, question, vector) for (article, question), vector in zip(cases, vectors)]


def variant_regressions(before: KnowledgeEngine, after: KnowledgeEngine) -> list[Regression]:
    """Variants of articles kept by the publish, served today from their article and not after it."""
    if before.snapshot.version == after.snapshot.version or before.snapshot.is_empty:
        return []
    kept = [a for article_id, a in before.snapshot.articles.items() if article_id in after.snapshot.articles and a.questions]
    regressions: list[Regression] = []
    for article, question, vector in _variants(before, kept):
        if not serves(before.decide(question, article.lang, vector), article):
            continue
        now = after.decide(question, article.lang, vector)
        if not serves(now, after.snapshot.articles[article.id]):
            regressions.append(Regression(
                article.id, question, article.lang, now.outcome.value, now.article, now.reason, now.confidence
            ))
    return regressions


def _answers_from(decision: Decision) -> str | None:
    return decision.article if decision.outcome in (Outcome.ANSWER, Outcome.ESCALATE) else None


def overlaps(before: KnowledgeEngine | None, after: KnowledgeEngine, article_ids: Collection[str]) -> list[Overlap]:
    """Other articles answering the questions (variants, and the title) of these added or changed
    articles today (`before`, the live engine), and questions of other articles the new version
    (`after`) would answer from these."""
    focus = set(article_ids) & set(after.snapshot.articles)
    found: dict[tuple[str, str, str], Overlap] = {}
    if before is not None and not before.snapshot.is_empty:
        probed = [_with_title(after.snapshot.articles[i]) for i in sorted(focus)]
        for article, question, vector in _variants(before, probed):
            other = _answers_from(before.decide(question, article.lang, vector))
            if other not in (None, article.id) and other in after.snapshot.articles:
                found.setdefault((article.id, other, question), Overlap(article.id, other, question, False))
    languages = {after.snapshot.articles[i].lang for i in focus}
    others = [a for i, a in sorted(after.snapshot.articles.items()) if i not in focus and a.lang in languages and a.questions]
    for article, question, vector in _variants(after, others if focus else []):
        answered_from = _answers_from(after.decide(question, article.lang, vector))
        if answered_from in focus:
            found.setdefault((answered_from, article.id, question), Overlap(answered_from, article.id, question, True))
    return list(found.values())


def _with_title(article: Article) -> Article:
    """The article with its title as one more question (an article without variants is probed by its title)."""
    if not article.title or article.title in article.questions:
        return article
    return dataclasses.replace(article, questions=(*article.questions, article.title))


def variant_misses(after: KnowledgeEngine, article_ids: Collection[str]) -> list[VariantMiss]:
    """Variants of these articles that the engine would not answer from them (information only)."""
    articles = [after.snapshot.articles[i] for i in sorted(article_ids) if i in after.snapshot.articles]
    misses: list[VariantMiss] = []
    for article, question, vector in _variants(after, articles):
        decision = after.decide(question, article.lang, vector)
        if not serves(decision, article):
            misses.append(VariantMiss(article.id, question, decision.outcome.value, decision.article, decision.reason))
    return misses


def find_duplicates(
    articles: Sequence[Article],
    vectors: dict[str, np.ndarray],
    focus: Collection[str] | None = None,
    threshold: float = NEAR_DUPLICATE,
) -> list[Duplicate]:
    """Pairs of same-language articles that look like one; only pairs touching `focus` when given.

    vectors: each article's title-and-answer embedding, by content hash.
    """
    found: list[Duplicate] = []
    by_lang: dict[str, list[Article]] = {}
    for article in sorted(articles, key=lambda a: a.id):
        by_lang.setdefault(article.lang, []).append(article)
    for group in by_lang.values():
        if len(group) < 2:
            continue
        matrix = np.stack([vectors[a.content_hash] for a in group])
        similarity = matrix @ matrix.T
        in_focus = np.array([focus is None or a.id in focus for a in group])
        answers = [" ".join(fold(a.body).split()) for a in group]
        same = np.array([[x == y for y in answers] for x in answers])
        flagged = np.triu((similarity >= threshold) | same, 1) & (in_focus[:, None] | in_focus[None, :])
        for i, j in zip(*np.where(flagged)):
            kind = DuplicateKind.SAME_ANSWER if same[i, j] else DuplicateKind.NEAR_DUPLICATE
            found.append(Duplicate(group[i].id, group[j].id, kind, float(similarity[i, j])))
        owners: dict[str, str] = {}
        shared: dict[tuple[str, str], list[str]] = {}
        for article in group:
            for question in article.questions:
                key = " ".join(fold(question).split()).rstrip(" ?!.")
                owner = owners.setdefault(key, article.id)
                if owner != article.id and (focus is None or owner in focus or article.id in focus):
                    shared.setdefault((owner, article.id), []).append(question)
        for (first, second), questions in shared.items():
            found.append(Duplicate(first, second, DuplicateKind.SHARED_QUESTION, 1.0, questions))
    return found
