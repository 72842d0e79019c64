"""Baseline: BM25 alone (rank_bm25's Okapi BM25 over Snowball stems).

The same records as the dense baseline (titles, question variants, text passages); an
article scores its best record, the top article is the answer and its raw BM25 score
the confidence. Only records in the customer's language (and the triggers) compete.
"""
from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from rank_bm25 import BM25Okapi
from tqdm import tqdm

from knowledge.evaluation.baselines.dense import index_texts
from knowledge.evaluation.baselines.protocol import ANY_LANGUAGE, Corpus, Prediction, Question, allowed_languages
from knowledge.text import stemmed_tokens


def _tokens(text: str, lang: str, fallback: str) -> list[str]:
    return stemmed_tokens(text, fallback if lang == ANY_LANGUAGE else lang)


def predict(corpus: Corpus, questions: Sequence[Question]) -> list[Prediction]:
    rows = index_texts(corpus)
    main_language = max(corpus.languages, key=lambda l: sum(a.lang == l for a in corpus.articles.values()), default="en")
    labels = np.array([label for _, label, _ in rows])
    langs = np.array([lang for _, _, lang in rows])
    model = BM25Okapi([_tokens(text, lang, main_language) or [""] for text, _, lang in rows])
    predictions: list[Prediction] = []
    for question in tqdm(questions, desc="bm25 baseline: questions", unit="q"):
        began = time.perf_counter()
        lang = question.lang or main_language
        scores = np.asarray(model.get_scores(stemmed_tokens(question.text, lang)), dtype=float)
        allowed = allowed_languages(corpus, question.lang)
        if allowed is not None:
            scores = np.where(np.isin(langs, sorted(allowed)), scores, -np.inf)
        best = int(np.argmax(scores)) if scores.size else -1
        latency = (time.perf_counter() - began) * 1000
        if best < 0 or not np.isfinite(scores[best]):
            predictions.append(Prediction(question.id, None, 0.0, latency))
        else:
            predictions.append(Prediction(question.id, str(labels[best]), float(scores[best]), latency))
    return predictions
