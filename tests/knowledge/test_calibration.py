import numpy as np

from knowledge.calibration import NEVER, HeldOut, lowest_threshold, pseudo_questions, thresholds_from_held_out


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
