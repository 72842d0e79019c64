"""When a question nobody answers leans far enough towards sensitive articles to hand it over,
refitted on reviewed questions (reviewed.fit_on_reviewed)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from knowledge.answering.calibration import NEVER, Thresholds
from knowledge.answering.matching import Ranking
from knowledge.contract import EscalationReason


class ReviewedQuestion(Protocol):
    """What is read of a reviewed question (reviewed.ReviewedQuestion: that module imports this one)."""

    @property
    def lang(self) -> str | None: ...

    @property
    def expected(self) -> str: ...

    @property
    def reason(self) -> str | None: ...

    @property
    def answerable(self) -> bool: ...


# The sensitive share is lowered on the reviewed questions (lowered_sensitive_share) only when they hold
# this many fitted sensitive ones, and only as far as a third of the questions it newly hands over are
# sensitive: a customer whose card may be in a stranger's hands left without an advisor costs more than an
# advisor's minute on a question the bot could have declined.
MIN_SENSITIVE_REVIEWED = 30
LEANING_PRECISION = 1 / 3


@dataclass(frozen=True)
class Deciders:
    """What a label leads to (reviewed.fit_on_reviewed's predicates)."""

    answers: Callable[[str], bool]  # an article to answer from
    escalates: Callable[[str], bool]  # a hand-over, sensitive or not
    requests: Callable[[str], bool]  # a hand-over asked for (a request for a person, a complaint)


def _handled(lang: str, ranking: Ranking, thresholds: Thresholds, deciders: Deciders) -> bool:
    """Whether the engine answers or escalates this ranking before looking at the sensitive share."""
    best = ranking.best
    if not best:
        return False
    if deciders.answers(best):
        return thresholds.answers(ranking, lang)
    if deciders.escalates(best):
        sure_at = thresholds.escalate_request if deciders.requests(best) else thresholds.escalate_sensitive
        return ranking.confidence >= sure_at
    return False


def lowered_sensitive_share(
    questions: Sequence[ReviewedQuestion], rankings: Sequence[Ranking], generic: Sequence[tuple[str, str]],
    generic_rankings: Sequence[Ranking], thresholds: Thresholds, deciders: Deciders,
    max_false_escalation: float, min_escalation_share: float,
) -> float:
    """The share of the scores on sensitive articles above which a question left unanswered is handed
    over, lowered like the escalation thresholds: self-calibration sees held-out variants only, and
    customers' own words for a sensitive situation ("what should I do if I think there are unauthorized
    transactions?") spread their scores over several articles. Only with at least MIN_SENSITIVE_REVIEWED
    fitted sensitive questions (fewer say little of where such questions lean), to the lowest share at
    which the questions it newly hands over are sensitive at least LEANING_PRECISION of the time and at
    most max_false_escalation of the answerable ones are; never below min_escalation_share of the
    self-calibrated share nor down to a generic question's."""
    current = thresholds.sensitive_share
    sensitive = sum(q.expected == "escalate" and q.reason == EscalationReason.SENSITIVE.value for q in questions)
    if current >= NEVER or sensitive < MIN_SENSITIVE_REVIEWED:
        return current
    left = [(q, r) for q, r in zip(questions, rankings) if not _handled(q.lang or "", r, thresholds, deciders)]
    below = sorted(((r.sensitive_share, q) for q, r in left if r.sensitive_share < current), key=lambda row: -row[0])
    generic_shares = [r.sensitive_share for (lang, _), r in zip(generic, generic_rankings)
                      if not _handled(lang, r, thresholds, deciders)]
    never_generic = float(np.nextafter(max(generic_shares), np.inf)) if generic_shares else 0.0
    floor = max(min_escalation_share * current, never_generic)
    allowed = int(max_false_escalation * sum(q.answerable for q in questions))
    best, right, wrong, false = current, 0, 0, 0
    for n, (share, question) in enumerate(below):
        if share < floor:
            break
        right += question.expected == "escalate" and question.reason == EscalationReason.SENSITIVE.value
        wrong += question.expected != "escalate"
        false += question.answerable
        if false > allowed:
            break
        tie = n + 1 < len(below) and below[n + 1][0] == share
        if not tie and right >= LEANING_PRECISION * (right + wrong):
            best = share
    return best
