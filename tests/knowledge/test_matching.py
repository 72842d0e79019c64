"""The matchers on small hand-made data: exact held-out scores, lexical document retrieval."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from knowledge.answering.matching import (
    KERNEL_RIDGE,
    KernelClassifier,
    blended_ranking,
    fit_in_row_space,
    label_share,
    probability_ranking,
)
from knowledge.answering.passages.retrieval import BM25, PassageRetriever, content_tokens, fit_fusion_weights
from knowledge.answering.triggers import NO_ANSWER_LABEL
from knowledge.answering.variants import TrainingRow, without_answered_examples

TEXTS = [
    "how do I reset my password", "I forgot my password", "password reset link",
    "where is my parcel", "track my order", "my delivery has not arrived",
    "talk to a person", "I want a human",
]
LABELS = ["password"] * 3 + ["order"] * 3 + ["@request_human"] * 2


def _vectors(count: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, 16))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_kernel_held_out_scores_equal_a_model_trained_without_the_group() -> None:
    vectors = _vectors(len(TEXTS))
    model = KernelClassifier(TEXTS, vectors, LABELS)
    group = np.array([1, 4, 6])
    kept = np.setdiff1d(np.arange(len(TEXTS)), group)
    # The same kernel (same TF-IDF vocabulary), solved again on the kept texts only.
    gram = model._kernel(vectors, model._char_matrix_t.T, model._word_matrix_t.T)
    weights = np.linalg.solve(gram[np.ix_(kept, kept)] + KERNEL_RIDGE * np.eye(len(kept)), model._targets[kept])
    refit = gram[np.ix_(group, kept)] @ weights
    assert np.allclose(model.held_out_scores([group])[0], refit)


def test_kernel_classifier_scores_a_variant_highest_for_its_own_label() -> None:
    vectors = _vectors(len(TEXTS))
    model = KernelClassifier(TEXTS, vectors, LABELS)
    scores = model.scores(["I forgot my password again"], vectors[1:2])[0]
    assert model.labels[int(np.argmax(scores))] == "password"


def test_blended_ranking_confidence_is_the_lead_within_zero_and_one() -> None:
    ranking = blended_ranking(["a", "b", "c"], np.array([1.3, 0.2, -0.1]), None)
    assert ranking.labels == ["a", "b", "c"]
    assert ranking.confidence == 1.0 and ranking.scores == [1.0, 0.2, 0.0]
    assert np.isclose(blended_ranking(["a", "b"], np.array([0.5, 0.3]), None).confidence, 0.2)
    masked = blended_ranking(["a", "b", "c"], np.array([0.9, 0.2, 0.1]), np.array([False, True, True]))
    assert masked.best == "b"


def test_label_share_is_the_share_of_positive_score_on_the_wanted_labels() -> None:
    scores = np.array([0.6, 0.2, 0.2, -0.5])
    assert np.isclose(label_share(["a", "b", "c", "d"], scores, None, np.array([False, True, True, False])), 0.4)
    assert label_share(["a", "b"], np.array([-1.0, -2.0]), None, np.array([True, False])) == 0.0


def test_content_tokens_drop_function_words_in_both_languages() -> None:
    assert content_tokens("Qui est le beau-père de Jean-Louis Cheynet ?", "fr") == ["beau", "per", "jean", "lou", "cheynet"]
    assert content_tokens("what is the capital of Australia", "en") == ["capit", "australia"]


def test_bm25_prefers_the_text_with_the_rare_word_and_ignores_unknown_ones() -> None:
    bm25 = BM25([["fox", "dog"], ["fox", "cat"], ["fox"]])
    scores = bm25.scores(["cat", "fox", "zebra"])
    assert int(np.argmax(scores)) == 1
    assert np.all(bm25.scores(["zebra"]) == 0)


def test_passage_retriever_finds_the_document_one_of_whose_sentences_the_question_asks_about() -> None:
    documents = [
        ("doc/loire", "fr", "Loire\n\nLa Loire est un fleuve. Elle prend sa source au mont Gerbier de Jonc."),
        ("doc/seine", "fr", "Seine\n\nLa Seine est un fleuve. Elle traverse Paris et se jette dans la Manche."),
        ("doc/tour", "fr", "Tour Eiffel\n\nLa tour Eiffel est une tour de fer. Elle fut construite pour 1889."),
    ]
    vectors = _vectors(3)
    retriever = PassageRetriever(documents, vectors, [d for d, _, _ in documents])
    scores = retriever.scores("Où la Loire prend-elle sa source ?", _vectors(1, seed=5)[0], "fr")
    assert retriever.labels[int(np.argmax(scores))] == "doc/loire"
    scores = retriever.scores("Dans quelle mer se jette la Seine ?", _vectors(1, seed=6)[0], "fr")
    assert retriever.labels[int(np.argmax(scores))] == "doc/seine"


@pytest.mark.parametrize("classes", [2, 5])
def test_logistic_regression_fitted_in_the_row_space_predicts_as_if_fitted_on_the_features(classes: int) -> None:
    """More n-gram features than training texts, as in a help centre's variants: the row-space fit is
    the same model, on the training texts and on texts it never saw."""
    rng = np.random.default_rng(7)
    words = [f"w{i}" for i in range(400)]
    texts = [" ".join(rng.choice(words, 6)) for _ in range(60)]
    labels = [f"article-{i % classes}" for i in range(60)]
    unseen = [" ".join(rng.choice(words, 5)) for _ in range(20)]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)).fit(texts)
    features = vectorizer.transform(texts)
    assert features.shape[0] < features.shape[1]
    direct = LogisticRegression(C=20.0, max_iter=3000).fit(features, labels)
    in_row_space = LogisticRegression(C=20.0, max_iter=3000)
    fit_in_row_space(in_row_space, features, labels)
    assert list(in_row_space.classes_) == list(direct.classes_)
    for tested in (features, vectorizer.transform(unseen)):
        np.testing.assert_allclose(in_row_space.predict_proba(tested), direct.predict_proba(tested), atol=1e-8)


def test_kernel_scores_a_question_as_its_training_text_was_scored() -> None:
    """The transposed TF-IDF matrices kept for questions give the scores the training gram gives."""
    vectors = _vectors(len(TEXTS))
    model = KernelClassifier(TEXTS, vectors, LABELS)
    gram = model._kernel(vectors, *model.views.of(TEXTS))
    assert np.allclose(model.scores(TEXTS[2:3], vectors[2:3]), gram[2:3] @ model._weights, rtol=1e-12, atol=1e-12)


def test_the_passage_views_are_weighted_as_the_reviewed_questions_show() -> None:
    """One view ranks the answering article first, three are noise: the fit leans on the first, and its
    probability of the best article is the confidence (a sure question more confident than an unsure one)."""
    rng = np.random.default_rng(3)
    articles, questions = 40, 300
    expected = rng.integers(0, articles, questions)
    views = []
    for answer in expected:
        view = rng.normal(size=(4, articles))
        view[3, answer] += 2.5
        views.append(view)
    weights = fit_fusion_weights(views, list(expected))
    assert weights[3] > 3 * np.abs(weights[:3]).max()
    labels = [f"doc/{i}" for i in range(articles)]
    sure = np.zeros(articles)
    sure[7] = 8.0
    unsure = np.zeros(articles)
    unsure[[7, 8]] = 1.0
    assert probability_ranking(labels, sure, None).best == "doc/7"
    assert probability_ranking(labels, sure, None).confidence > 0.9 > probability_ranking(labels, unsure, None).confidence
    only_even = np.arange(articles) % 2 == 0  # another language's articles are left out of the softmax
    assert probability_ranking(labels, sure, only_even).best != "doc/7"


def test_shipped_no_answer_examples_an_article_answers_are_left_out() -> None:
    texts = ["thank you so much", "thanks a lot", "many thanks", *TEXTS[:6]]
    labels = ["thanks"] * 3 + LABELS[:6]
    vectors = _vectors(len(texts) + 2, seed=1)
    rows = [TrainingRow(t, v, label, "question") for t, v, label in zip(texts, vectors, labels)]
    rows += [TrainingRow("I want a human", vectors[-3], "@request_human", "trigger")]
    # Worded and embedded like the 'thanks' article's first variant; the other like no article.
    rows += [TrainingRow("thank you", vectors[0], NO_ANSWER_LABEL, "trigger"),
             TrainingRow("what is the population of mexico", vectors[-1], NO_ANSWER_LABEL, "trigger")]
    kept = without_answered_examples(rows)
    assert [r.text for r in kept if r.label == NO_ANSWER_LABEL] == ["what is the population of mexico"]
    assert len(kept) == len(rows) - 1


def test_a_variant_models_two_classifiers_read_one_fit_of_the_text_views_transformed_once_a_question() -> None:
    from types import SimpleNamespace

    from knowledge.answering.matching import TextViews, VariantClassifier
    from knowledge.answering.variants import VariantModel

    vectors = _vectors(len(TEXTS))
    rows = [TrainingRow(t, v, label, "question") for t, v, label in zip(TEXTS, vectors, LABELS)]
    model = VariantModel(SimpleNamespace(articles={}), rows)  # type: ignore[arg-type]
    linear = model.linear()
    assert model.kernel is not None and linear is not None
    assert model.kernel.views is model.views and linear.views is model.views
    transformed: list[list[str]] = []
    original_of = TextViews.of
    model.views.of = lambda texts: transformed.append(list(texts)) or original_of(model.views, texts)  # type: ignore[method-assign]
    question = ["I forgot my password again"]
    probabilities, kernel_scores = model.components(question, vectors[1:2])
    assert transformed == [question]
    # The same scores as classifiers that each fit their own views on the same texts.
    assert np.allclose(kernel_scores, KernelClassifier(TEXTS, vectors, LABELS).scores(question, vectors[1:2]))
    assert np.allclose(probabilities, VariantClassifier(TEXTS, vectors, LABELS).probabilities(question, vectors[1:2]))
