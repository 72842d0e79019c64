import numpy as np

from knowledge.answering.calibration import (
    NEVER,
    HeldOut,
    handled_share,
    lowest_threshold,
    passage_threshold,
    pseudo_questions,
    sensitive_share_threshold,
    thresholds_from_held_out,
)


def test_lowest_threshold_keeps_precision_at_target() -> None:
    confidence = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    good = np.array([True, True, True, False, True, False])
    bad = (~good).astype(float)
    # At 0.7 and above: 3/3; at 0.5: 4/5 = 0.8; at 0.4: 4/6.
    assert lowest_threshold(confidence, good, bad, 0.99) == 0.7
    assert lowest_threshold(confidence, good, bad, 0.8) == 0.5
    assert lowest_threshold(confidence, good, bad, 0.5) == 0.4


def test_no_threshold_when_even_the_most_confident_are_wrong() -> None:
    assert lowest_threshold(np.array([0.9]), np.array([False]), np.array([1.0]), 0.9) == NEVER
    assert lowest_threshold(np.array([]), np.array([], bool), np.array([]), 0.9) == NEVER


def test_ties_are_never_split() -> None:
    confidence = np.array([0.9, 0.5, 0.5])
    good = np.array([True, True, False])
    assert lowest_threshold(confidence, good, (~good).astype(float), 0.9) == 0.9


def test_out_of_scope_negatives_raise_the_answer_threshold() -> None:
    in_scope = HeldOut(
        confidence=np.array([0.9, 0.8, 0.3]), correct=np.array([True, True, True]),
        predicted_escalates=np.array([False, False, False]), predicted_request=np.array([False, False, False]),
        in_scope=np.array([True, True, True]),
        generic=np.array([False, False, False]),
    )
    with_negative = HeldOut(
        confidence=np.array([0.9, 0.8, 0.3, 0.35]), correct=np.array([True, True, True, False]),
        predicted_escalates=np.array([False, False, False, False]),
        predicted_request=np.array([False, False, False, False]), in_scope=np.array([True, True, True, False]),
        generic=np.array([False, False, False, False]),
    )
    low, _, _ = thresholds_from_held_out(in_scope, 0.97, 0.8)
    high, _, _ = thresholds_from_held_out(with_negative, 0.97, 0.8)
    assert low == 0.3
    assert high == 0.8


def test_pseudo_questions_come_from_the_article_sentences() -> None:
    body = "Our shops open at nine in the morning every day. Delivery takes three working days in France."
    questions = pseudo_questions(body, np.random.default_rng(1))
    assert 1 <= len(questions) <= 2
    words = set(body.replace(".", " ").split())
    assert all(set(q.replace(".", " ").split()) <= words for q in questions)


def test_generic_questions_raise_the_request_threshold_but_not_the_sensitive_one() -> None:
    # Two held-out sensitive variants, two held-out complaint examples, one generic question
    # wrongly taken for a complaint at 0.7.
    held = HeldOut(
        confidence=np.array([0.9, 0.6, 0.9, 0.6, 0.7]),
        correct=np.array([True, True, True, True, False]),
        predicted_escalates=np.array([True, True, True, True, True]),
        predicted_request=np.array([False, False, True, True, True]),
        in_scope=np.array([True, True, True, True, False]),
        generic=np.array([False, False, False, False, True]),
    )
    _, sensitive, request = thresholds_from_held_out(held, 0.97, 0.8)
    assert sensitive == 0.6
    assert request == 0.9


def _held(confidence, correct, escalates, requests, in_scope, generic, share=None, sensitive=None) -> HeldOut:
    array = np.array
    return HeldOut(
        array(confidence, float), array(correct, bool), array(escalates, bool), array(requests, bool),
        array(in_scope, bool), array(generic, bool),
        None if share is None else array(share, float), None if sensitive is None else array(sensitive, bool),
    )


def test_no_generic_question_is_ever_escalated_whatever_the_precision() -> None:
    # Nine right complaint escalations above 0.2 would keep 0.8 precision with the generic
    # question at 0.3 escalated too; the threshold goes just above it instead.
    held = _held(
        confidence=[0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4, 0.35, 0.25, 0.3],
        correct=[True] * 9 + [False], escalates=[True] * 10, requests=[True] * 10,
        in_scope=[True] * 9 + [False], generic=[False] * 9 + [True],
    )
    _, _, request = thresholds_from_held_out(held, 0.97, 0.8)
    assert 0.3 < request <= 0.35


def test_the_blend_is_chosen_on_answers_and_escalations_alike() -> None:
    held = _held(
        confidence=[0.9, 0.2, 0.9, 0.2], correct=[True] * 4, escalates=[False, False, True, True],
        requests=[False, False, True, True], in_scope=[True] * 4, generic=[False] * 4,
    )
    assert handled_share(held, 0.5, NEVER, 0.5) == 0.5
    assert handled_share(held, 0.1, NEVER, 0.1) == 1.0
    assert handled_share(held, NEVER, NEVER, NEVER) == 0.0


def test_unanswered_questions_leaning_to_sensitive_articles_escalate_at_the_precision_target() -> None:
    # None is answered at 0.95; shares of sensitive score 0.9, 0.8, 0.7 belong to sensitive
    # questions, 0.6 to another one, 0.5 to a generic question.
    held = _held(
        confidence=[0.1] * 5, correct=[False] * 5, escalates=[False] * 5, requests=[False] * 5,
        in_scope=[True] * 4 + [False], generic=[False] * 4 + [True],
        share=[0.9, 0.8, 0.7, 0.6, 0.5], sensitive=[True, True, True, False, False],
    )
    assert sensitive_share_threshold(held, 0.95, NEVER, NEVER, 0.75) == 0.6  # 3 right of 4
    assert sensitive_share_threshold(held, 0.95, NEVER, NEVER, 0.8) == 0.7
    # Questions answered at their confidence are not the rule's to escalate.
    assert sensitive_share_threshold(held, 0.05, NEVER, NEVER, 0.8) == NEVER
    # The generic question must stay unescalated even where the precision would allow it.
    risky = _held(
        confidence=[0.1] * 5, correct=[False] * 5, escalates=[False] * 5, requests=[False] * 5,
        in_scope=[True] * 4 + [False], generic=[False] * 4 + [True],
        share=[0.9, 0.8, 0.7, 0.6, 0.65], sensitive=[True, True, True, True, False],
    )
    assert 0.65 < sensitive_share_threshold(risky, 0.95, NEVER, NEVER, 0.7) <= 0.7
    assert sensitive_share_threshold(_held([0.1], [False], [False], [False], [True], [False]), 0.95, NEVER, NEVER, 0.8) == NEVER


def test_pseudo_questions_keep_few_words_but_never_fewer_than_two() -> None:
    body = " ".join(f"word{i}" for i in range(40)) + ". " + "one two three four five six."
    for seed in range(20):
        for question in pseudo_questions(body, np.random.default_rng(seed)):
            assert 2 <= len(question.split()) <= 20


def test_passage_threshold_ranks_all_pseudo_questions_in_one_call() -> None:
    articles = [("a", "en", "The red fox jumps over the lazy dog every single morning."),
                ("b", "en", "Blue whales sing long songs across the cold northern ocean.")]
    calls: list[int] = []

    def rank(questions: list[str], langs: list[str]) -> list[tuple[str | None, float]]:
        calls.append(len(questions))
        return [("a" if "fox" in q or "dog" in q or "red" in q else "b", 1.0) for q in questions]

    passage_threshold(articles, rank, 0.5)
    assert len(calls) == 1 and calls[0] == 2
