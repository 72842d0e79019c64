"""Thresholds derived from the knowledge base itself, never hand-tuned per site.

The variant classifiers are cross-validated on the articles' own question variants:
held-out variants say how often an answer at a given confidence is right, and variants of
whole held-out articles stand for questions the knowledge base cannot answer. The same
held-out scores choose how much each classifier counts (the blend answering most held-out
questions at the target conformity) and when a question nobody can answer confidently
leans so much towards sensitive articles that an advisor should take it. The passage path
is calibrated the same way on pseudo-questions cut from the articles' own sentences.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import yaml

from knowledge.answering.confidence.answer_model import answer_probability
from knowledge.answering.matching import Ranking
from knowledge.index.versions import ANY_LANGUAGE

OUT_OF_SCOPE = Path(__file__).parent.parent / "out_of_scope.yml"
FOLDS = 4
# Part of the key thresholds are stored under: bump it whenever the way they are computed changes.
CALIBRATION_METHOD = "22"
# Prior share of customer questions that no article answers; weighs the held-out-article
# negatives against the held-out variants when computing precision.
OUT_OF_SCOPE_SHARE = 0.05
# Prior share of customer messages that ask for a person or complain; weighs the held-out
# trigger examples (hundreds of them, against a few variants per article on a small base)
# against the held-out variants.
TRIGGER_SHARE = 0.2
NEVER = 1e9
# Weights of the linear classifier against the kernel one tried at calibration.
BLENDS = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class Thresholds:
    answer: float = NEVER
    escalate_sensitive: float = NEVER  # the best match is a handoff: true article
    escalate_request: float = NEVER  # the best match is asking for a person or complaining
    passage_answer: float = NEVER
    blend: float = 1.0  # weight of the linear classifier's probabilities against the kernel classifier's scores
    # Share of the variant scores on sensitive articles above which a question the thresholds
    # above leave unanswered escalates as sensitive.
    sensitive_share: float = NEVER
    # Answer thresholds fitted per language on reviewed questions (the model's confidence does
    # not behave alike in every language); `answer` for the others.
    answer_by_language: dict[str, float] = field(default_factory=dict)
    # The variant classifiers train on the fitted part of the reviewed questions too.
    trained_on_reviewed: bool = False
    # The passage retriever's view weights fitted on reviewed questions about plain documents
    # (passages.retrieval.fit_fusion_weights): its confidence is then a probability. None: views summed, margin.
    passage_weights: list[float] | None = None
    # Fitted on reviewed questions when it answers more of them than the lead alone: a logistic model
    # (intercept, then one weight per matching.ANSWER_FEATURES) of whether the variant path's best article
    # is right; the variant path then answers when its probability reaches answer_model_at, and the
    # answer thresholds above only say how sure an article's score must be (suggestions).
    answer_model: list[float] | None = None
    answer_model_at: float = NEVER

    def answer_for(self, lang: str) -> float:
        return self.answer_by_language.get(lang, self.answer)

    def answers(self, ranking: Ranking, lang: str) -> bool:
        """Whether the variant path is sure enough of its best article to answer from it."""
        if self.answer_model is None or not ranking.features:
            return ranking.confidence >= self.answer_for(lang)
        return answer_probability(self.answer_model, ranking.features) >= self.answer_model_at

    def with_answer_thresholds(self, set_by_language: dict[str, float]) -> Thresholds:
        """These thresholds with the answer thresholds a knowledge-base version sets (from reviewed answers):
        language -> threshold, ANY_LANGUAGE for every language (then a language's own entry still wins)."""
        if not set_by_language:
            return self
        answer, by_language = self.answer, dict(self.answer_by_language)
        if ANY_LANGUAGE in set_by_language:
            answer, by_language = set_by_language[ANY_LANGUAGE], {}
        by_language.update({lang: value for lang, value in set_by_language.items() if lang != ANY_LANGUAGE})
        # Set by a person: they decide, not the answer model fitted without them.
        return replace(self, answer=answer, answer_by_language=by_language, answer_model=None, answer_model_at=NEVER)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Thresholds:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class HeldOut:
    confidence: np.ndarray
    correct: np.ndarray  # predicted label is the true one (or both escalate)
    predicted_escalates: np.ndarray
    predicted_request: np.ndarray  # escalates as a request for a person or a complaint
    in_scope: np.ndarray  # False for variants of held-out articles and generic questions
    generic: np.ndarray  # True for the generic out-of-scope questions (escalation only)
    # Share of the scores on sensitive (handoff: true) articles, and whether the truth is one.
    sensitive_share: np.ndarray | None = None
    truly_sensitive: np.ndarray | None = None
    # The question is one of the escalation triggers' examples (asking for a person, complaining).
    trigger: np.ndarray | None = None


def lowest_threshold(
    confidence: np.ndarray, good: np.ndarray, bad_weight: np.ndarray, target: float
) -> float:
    """Lowest threshold whose weighted precision over items at or above it reaches target."""
    if confidence.size == 0:
        return NEVER
    order = np.argsort(-confidence)
    good_sum = np.cumsum(good[order].astype(float))
    bad_sum = np.cumsum(bad_weight[order])
    precision = good_sum / np.maximum(good_sum + bad_sum, 1e-9)
    # Walk from the most confident down; keep the deepest cut that still meets the target,
    # and never cut inside a run of equal confidences.
    sorted_conf = confidence[order]
    best = NEVER
    for i in range(len(order)):
        if i + 1 < len(order) and sorted_conf[i + 1] == sorted_conf[i]:
            continue
        if precision[i] >= target:
            best = float(sorted_conf[i])
    return best


def _weights(held: HeldOut) -> np.ndarray:
    """Held-out variants count 1; questions of held-out articles together weigh OUT_OF_SCOPE_SHARE."""
    trigger = held.trigger if held.trigger is not None else np.zeros(len(held.in_scope), bool)
    n_pos = max(int((held.in_scope & ~trigger).sum()), 1)
    n_neg = max(int((~held.in_scope & ~held.generic).sum()), 1)
    n_trigger = max(int((held.in_scope & trigger).sum()), 1)
    neg_weight = OUT_OF_SCOPE_SHARE / (1 - OUT_OF_SCOPE_SHARE) * n_pos / n_neg
    trigger_weight = min(1.0, TRIGGER_SHARE / (1 - TRIGGER_SHARE) * n_pos / n_trigger)
    return np.where(held.in_scope, np.where(trigger, trigger_weight, 1.0), neg_weight)


def thresholds_from_held_out(held: HeldOut, target_answer: float, target_escalate: float) -> tuple[float, float, float]:
    """(answer, escalate_sensitive, escalate_request) thresholds."""
    weight = _weights(held)
    bad = np.where(held.correct, 0.0, weight)

    def threshold(rows: np.ndarray, bad_weight: np.ndarray, target: float) -> float:
        return lowest_threshold(held.confidence[rows], held.correct[rows], bad_weight[rows], target)

    good_answer = held.correct & held.in_scope
    answers = ~held.predicted_escalates & ~held.generic
    answer = lowest_threshold(
        held.confidence[answers], good_answer[answers], np.where(good_answer, 0.0, weight)[answers], target_answer
    )
    sensitive = held.predicted_escalates & ~held.predicted_request & ~held.generic
    # A generic question handed to an advisor as a complaint is a visible failure: each
    # counts fully, not at the out-of-scope prior. (Small talk is told apart by Rasa's NLU.)
    requests = held.predicted_request
    escalate_request = threshold(requests, np.where(held.generic, 1.0, bad), target_escalate)
    # And none of the generic questions is ever escalated, whatever the precision.
    escalate_sensitive = max(
        threshold(sensitive, bad, target_escalate), _above(held.confidence[held.generic & held.predicted_escalates & ~requests])
    )
    return answer, escalate_sensitive, max(escalate_request, _above(held.confidence[held.generic & requests]))


def _above(values: np.ndarray) -> float:
    """The least threshold that none of these values reaches (0 when there are none)."""
    return float(np.nextafter(values.max(), np.inf)) if values.size else 0.0


def handled_share(held: HeldOut, answer: float, escalate_sensitive: float, escalate_request: float) -> float:
    """Share of the held-out variants (and trigger examples) answered or escalated at these
    thresholds, right or wrong (the thresholds bound the wrong ones): what a blend is chosen on."""
    handled = _handled(held, answer, escalate_sensitive, escalate_request) & held.in_scope
    return float(handled.sum()) / max(int(held.in_scope.sum()), 1)


def _handled(held: HeldOut, answer: float, escalate_sensitive: float, escalate_request: float) -> np.ndarray:
    return np.where(
        held.predicted_escalates,
        held.confidence >= np.where(held.predicted_request, escalate_request, escalate_sensitive),
        held.confidence >= answer,
    )


def sensitive_share_threshold(
    held: HeldOut, answer: float, escalate_sensitive: float, escalate_request: float, target: float
) -> float:
    """Lowest share of the scores on sensitive articles above which a question the other
    thresholds leave unanswered is escalated as sensitive, at `target` precision (right: its
    truth is a sensitive article). Held-out articles count at the out-of-scope prior, generic
    questions fully, and none of the generic questions is ever escalated."""
    share, truly = held.sensitive_share, held.truly_sensitive
    if share is None or truly is None:
        return NEVER
    rows = ~_handled(held, answer, escalate_sensitive, escalate_request)
    if not truly[rows].any():
        return NEVER
    bad = np.where(truly, 0.0, np.where(held.generic, 1.0, _weights(held)))
    threshold = lowest_threshold(share[rows], truly[rows], bad[rows], target)
    # A share of zero would escalate everything the other thresholds leave.
    if threshold <= 0:
        return NEVER
    return max(threshold, _above(share[rows & held.generic]))


def load_out_of_scope_examples(path: Path = OUT_OF_SCOPE) -> list[tuple[str, str]]:
    """(lang, question) pairs that no help centre answers."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [(lang, str(text)) for lang, texts in document.items() for text in texts or []]


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


# A question shares only some of its words with the sentence that answers it. Measured on
# the sample help centre, whose articles come with real customer questions: taken as plain
# documents, its articles are found from their own question variants about as often (and
# with about the same lead over the runner-up) as from their sentences cut to 15% of their
# words, against far more often when cut to 35% (which made the passage threshold answer
# wrongly a fifth of the time on French Wikipedia questions).
PSEUDO_QUESTION_KEEP = 0.15
PSEUDO_QUESTION_MIN_WORDS = 2


def pseudo_questions(body: str, rng: np.random.Generator, per_article: int = 2) -> list[str]:
    """Sentences of the article with most of their words dropped, as a stand-in for questions."""
    sentences = [s for s in _SENTENCE.split(body) if len(s.split()) >= 6]
    if not sentences:
        return []
    picked = rng.choice(len(sentences), size=min(per_article, len(sentences)), replace=False)
    questions = []
    for index in picked:
        words = sentences[index].split()
        keep = rng.random(len(words)) < PSEUDO_QUESTION_KEEP
        if keep.sum() < PSEUDO_QUESTION_MIN_WORDS:
            keep[rng.choice(len(words), size=PSEUDO_QUESTION_MIN_WORDS, replace=False)] = True
        questions.append(" ".join(w for w, k in zip(words, keep) if k))
    return questions


def passage_threshold(
    articles: Sequence[tuple[str, str, str]],
    rank: Callable[[list[str], list[str]], list[tuple[str | None, float]]],
    target: float,
    seed: int = 0,
) -> float:
    """articles: (id, lang, body); rank(questions, langs) -> (best article id, confidence) per question."""
    rng = np.random.default_rng(seed)
    questions: list[tuple[str, str, str]] = [
        (article_id, lang, question) for article_id, lang, body in articles for question in pseudo_questions(body, rng)
    ]
    if not questions:
        return NEVER
    ranked = rank([q for _, _, q in questions], [lang for _, lang, _ in questions])
    conf = np.array([confidence for _, confidence in ranked])
    good = np.array([best == article_id for (article_id, _, _), (best, _) in zip(questions, ranked)], dtype=bool)
    return lowest_threshold(conf, good, (~good).astype(float), target)
