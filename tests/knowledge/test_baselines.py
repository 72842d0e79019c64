"""make eval-peers: the baselines' split, threshold picking, decisions, matching and report."""
from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from knowledge.articles import Article, load_folder
from knowledge.answering.calibration import NEVER
from knowledge.embeddings import make_embeddings
from knowledge.evaluation.evaluate import Metrics
from knowledge.evaluation.baselines import bm25, dense, rasa_faq
from knowledge.evaluation.baselines.comparison import SYSTEMS, CurvePoint, SystemResult
from knowledge.evaluation.baselines.protocol import (
    Corpus,
    Labelled,
    Prediction,
    Question,
    Split,
    decide,
    held_out_outcomes,
    held_out_questions,
    pick_threshold,
    split_corpus,
)
from knowledge.evaluation.baselines.report import write
from knowledge.settings import SAMPLE_KB, KnowledgeSettings
from knowledge.answering.triggers import load_trigger_examples

TARGET = 0.97


@pytest.fixture(scope="module")
def sample_split() -> Split:
    loaded = load_folder(SAMPLE_KB)
    assert not loaded.problems
    return split_corpus(loaded.articles, load_trigger_examples())


def _conformity(corpus: Corpus, held: list[Labelled], predictions: list[Prediction], threshold: float) -> float | None:
    answers = [
        (item, line) for item, line in zip(held, (decide(corpus, p, threshold) for p in predictions))
        if line["outcome"] == "answer"
    ]
    return sum(line["article"] == item.label for item, line in answers) / len(answers) if answers else None


def test_a_fifth_of_each_articles_variants_is_held_out_of_training(sample_split: Split) -> None:
    fit = {(item.label, item.text) for item in sample_split.fit.training}
    full = {(item.label, item.text) for item in sample_split.full.training}
    held = {(item.label, item.text) for item in sample_split.held_out}
    assert not fit & held
    assert fit | held == full
    for article in sample_split.full.articles.values():
        held_variants = [t for label, t in held if label == article.id]
        assert len(held_variants) == round(len(article.questions) * 0.2), article.id
        assert (article.id, article.title) in fit  # titles are never held out
    assert {label for label, _ in held} >= {"@request_human", "@complaint"}


def _synthetic_corpus() -> Corpus:
    articles = {
        f"kb/{name}": Article(f"kb/{name}", name, "en", "text", questions=("q1", "q2"), handoff=name == "stolen")
        for name in ("a", "b", "stolen")
    }
    return Corpus(articles, [])


def test_the_threshold_is_the_lowest_that_keeps_held_out_answers_at_the_target() -> None:
    corpus = _synthetic_corpus()
    rng = np.random.default_rng(1)
    held, predictions = [], []
    for i in range(400):
        truth = "kb/a" if i % 2 else "kb/b"
        confidence = float(rng.random())
        # The less confident, the more often wrong: conformity falls as the threshold drops.
        wrong = rng.random() > 0.6 + 0.4 * confidence
        held.append(Labelled(f"question {i}", truth, "en", "question"))
        predictions.append(Prediction(str(i), ("kb/b" if truth == "kb/a" else "kb/a") if wrong else truth, confidence, 1.0))
    threshold = pick_threshold(corpus, held, predictions, TARGET)
    assert 0.0 < threshold < NEVER

    assert _conformity(corpus, held, predictions, threshold) >= TARGET
    below = max(p.confidence for p in predictions if p.confidence < threshold)
    assert _conformity(corpus, held, predictions, below) < TARGET  # and no lower one would do


def test_held_out_predictions_that_escalate_do_not_count_as_answers() -> None:
    corpus = _synthetic_corpus()
    held = [Labelled("x", "kb/a", "en", "question"), Labelled("y", "kb/a", "en", "question")]
    predictions = [Prediction("1", "kb/stolen", 0.99, 1.0), Prediction("2", "kb/a", 0.5, 1.0)]
    confidence, good = held_out_outcomes(corpus, held, predictions)
    assert confidence.tolist() == [0.5] and good.tolist() == [True]


def test_a_baseline_escalates_handoff_articles_and_triggers_answers_the_rest_and_declines_below_threshold() -> None:
    corpus = _synthetic_corpus()
    assert decide(corpus, Prediction("1", "kb/a", 0.8, 2.0), 0.5)["outcome"] == "answer"
    stolen = decide(corpus, Prediction("2", "kb/stolen", 0.8, 2.0), 0.5)
    assert (stolen["outcome"], stolen["reason"], stolen["article"]) == ("escalate", "sensitive", "kb/stolen")
    complaint = decide(corpus, Prediction("3", "@complaint", 0.8, 2.0), 0.5)
    assert (complaint["outcome"], complaint["reason"], complaint["article"]) == ("escalate", "complaint", None)
    assert decide(corpus, Prediction("4", "kb/a", 0.4, 2.0), 0.5)["outcome"] == "decline"
    assert decide(corpus, Prediction("5", None, 0.0, 2.0), 0.0)["outcome"] == "decline"


QUESTIONS = [
    Question("en-1", "my phone was stolen", "en"),
    Question("en-2", "how do I reset my password", "en"),
    Question("fr-1", "on m'a volé mon téléphone", "fr"),
]


@pytest.fixture(scope="module")
def dense_predictions(sample_split: Split, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Prediction]]:
    settings = KnowledgeSettings()
    embeddings = make_embeddings(settings)
    workdir = tmp_path_factory.mktemp("dense-baseline")
    return {
        "held": dense.predict(sample_split.fit, held_out_questions(sample_split.held_out), embeddings, workdir, settings),
        "questions": dense.predict(sample_split.full, QUESTIONS, embeddings, workdir, settings),
    }


def test_the_dense_baseline_answers_from_the_nearest_article_in_the_customers_language(
    dense_predictions: dict[str, list[Prediction]],
) -> None:
    stolen, password, stolen_fr = dense_predictions["questions"]
    assert stolen.label == "lumen/lost-stolen-phone-en" and stolen.confidence == pytest.approx(1.0, abs=1e-3)
    assert password.label == "lumen/reset-password-en"
    assert stolen_fr.label is not None and stolen_fr.label.endswith("-fr")


@pytest.mark.parametrize("baseline", ["dense", "bm25"])
def test_a_baselines_threshold_picked_on_held_out_variants_keeps_them_at_the_target(
    baseline: str, sample_split: Split, dense_predictions: dict[str, list[Prediction]],
) -> None:
    if baseline == "dense":
        held = dense_predictions["held"]
    else:
        held = bm25.predict(sample_split.fit, held_out_questions(sample_split.held_out))
    threshold = pick_threshold(sample_split.fit, sample_split.held_out, held, TARGET)
    assert threshold < NEVER
    assert _conformity(sample_split.fit, sample_split.held_out, held, threshold) >= TARGET
    answers, _ = held_out_outcomes(sample_split.fit, sample_split.held_out, held)
    lower = answers[answers < threshold]
    if lower.size:
        assert (_conformity(sample_split.fit, sample_split.held_out, held, max(lower)) or 0.0) < TARGET


def test_the_bm25_baseline_matches_on_stems_in_the_customers_language(sample_split: Split) -> None:
    stolen, password, stolen_fr = bm25.predict(sample_split.full, QUESTIONS)
    assert stolen.label == "lumen/lost-stolen-phone-en"
    assert password.label == "lumen/reset-password-en"
    assert stolen_fr.label == "lumen/lost-stolen-phone-fr"
    assert stolen.confidence > 0


def test_the_report_has_a_row_per_system_a_summary_and_a_plot(tmp_path: Path) -> None:
    results = [
        SystemResult(
            name, [{"id": "q1", "outcome": "answer", "article": "kb/a", "reason": None, "confidence": 0.9, "latency_ms": 3.0}],
            Metrics(0.5 + i / 10, 0.97, 0.8, None, 10), None if name == "ours" else 0.4,
            [CurvePoint(0.1, 0.9, 0.8), CurvePoint(0.4, 0.5 + i / 10, 0.97), CurvePoint(NEVER, 0.0, None)], 12.0,
        )
        for i, name in enumerate(("ours", "dense", "bm25"))
    ] + [SystemResult("rasa_faq", note="not applicable: no variants")]
    shown = write(results, TARGET, tmp_path, {"kb": "kb", "data": "dev.jsonl"})
    rows = shown.splitlines()
    assert len(rows) == 2 + len(SYSTEMS)
    for result in results:
        assert sum(result.title in row for row in rows) == 1
    assert "| 0.600 | 0.970 | 0.800 | – |" in shown
    assert "not applicable" in rows[-1]
    assert (tmp_path / "peers_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((tmp_path / "peers.json").read_text())
    assert set(summary["systems"]) == set(SYSTEMS)
    assert summary["systems"]["dense"]["ceiling_answer_rate_at_target"] == 0.6
    assert summary["systems"]["rasa_faq"]["ceiling_answer_rate_at_target"] is None
    assert (tmp_path / "ours" / "report.jsonl").read_text().count("\n") == 1


def test_the_rasa_runner_imports_nothing_from_the_application_environment() -> None:
    tree = ast.parse(Path(rasa_faq.RUNNER).read_text(encoding="utf-8"))
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert imported - set(sys.stdlib_module_names) - {"__future__"} <= {"rasa", "tqdm"}


def test_rasa_training_files_name_one_retrieval_intent_per_article(sample_split: Split, tmp_path: Path) -> None:
    import yaml

    key_to_article = rasa_faq.write_training_files(sample_split.fit, tmp_path, epochs=3)
    nlu = yaml.safe_load((tmp_path / "nlu.yml").read_text())["nlu"]
    intents = {block["intent"] for block in nlu}
    assert {f"faq/{key}" for key in key_to_article} <= intents
    assert {"request_human", "complaint"} <= intents
    assert set(key_to_article.values()) == set(sample_split.fit.articles)
    assert all("/" not in key for key in key_to_article)
    domain = yaml.safe_load((tmp_path / "domain.yml").read_text())
    assert len(domain["responses"]) == len(key_to_article)


def _part_of(corpus: Corpus, asked: set[str], per_language: int, examples_per_trigger: int) -> Corpus:
    """The articles asked about, the first others of each language and a few examples of each trigger:
    a corpus Rasa trains on in a fraction of the time, still with as many labels as a small help centre has."""
    keep = set(asked)
    for lang in ("en", "fr"):
        keep |= set([i for i in sorted(corpus.articles) if i.endswith(f"-{lang}")][:per_language])
    per_label: dict[str, int] = {}
    training = []
    for item in corpus.training:
        if item.label.startswith("@"):
            per_label[item.label] = per_label.get(item.label, 0) + 1
            if per_label[item.label] > examples_per_trigger:
                continue
        elif item.label not in keep:
            continue
        training.append(item)
    return Corpus({i: a for i, a in corpus.articles.items() if i in keep}, training)


@pytest.mark.e2e
def test_rasas_faq_baseline_trained_on_the_sample_answers_sample_questions(sample_split: Split, tmp_path: Path) -> None:
    """Real `rasa train nlu` (few epochs) and the runner in the Rasa environment, on part of the sample."""
    questions = [
        Question("1", "I forgot my password", "en"),
        Question("2", "where is my parcel", "en"),
        Question("3", "my phone was stolen", "en"),
        Question("4", "j'ai oublié mon mot de passe", "fr"),
        Question("5", "I want to speak to a human", "en"),
    ]
    expected = ["lumen/reset-password-en", "lumen/track-order-en", "lumen/lost-stolen-phone-en",
                "lumen/reset-password-fr", "@request_human"]
    corpus = _part_of(sample_split.full, {e for e in expected if not e.startswith("@")}, per_language=6,
                      examples_per_trigger=40)
    assert 12 <= len(corpus.articles) <= 16 and len(corpus.training) < len(sample_split.full.training) / 2
    (predictions,) = rasa_faq.predict(corpus, [questions], tmp_path, epochs=30)
    right = [p.label == e for p, e in zip(predictions, expected)]
    assert sum(right) >= 4, list(zip(expected, predictions))
    assert all(0.0 < p.confidence <= 1.0 and p.latency_ms > 0 for p in predictions)


def test_the_command_prints_the_table_last_and_writes_its_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from knowledge.evaluation.baselines.__main__ import main

    data = SAMPLE_KB.parent / "sample_dev.jsonl"
    assert main(["--kb", str(SAMPLE_KB), "--data", str(data), "--out", str(tmp_path), "--systems", "bm25"]) == 0
    table = capsys.readouterr().out.strip().splitlines()[-3:]
    assert table[0].startswith("| system | answer rate | conformity |")
    assert table[2].startswith("| BM25 top-1 |")
    lines = (tmp_path / "bm25" / "report.jsonl").read_text().splitlines()
    assert len(lines) == len(data.read_text().splitlines())
    assert json.loads((tmp_path / "peers.json").read_text())["systems"]["bm25"]["n"] == len(lines)
    assert (tmp_path / "peers_curve.png").exists()


def test_the_dense_baseline_embeds_each_indexed_text_once_across_its_two_indexes() -> None:
    class Counting(Embeddings):
        def __init__(self) -> None:
            self.texts: list[str] = []

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            self.texts += texts
            return [[float(len(t)), 1.0] for t in texts]

        def embed_query(self, text: str) -> list[float]:
            return self.embed_documents([text])[0]

    inner = Counting()
    remembered = dense.RememberedEmbeddings(inner)
    assert remembered.embed_documents(["a", "bb", "a"]) == [[1.0, 1.0], [2.0, 1.0], [1.0, 1.0]]
    assert remembered.embed_documents(["bb", "ccc"])[1] == [3.0, 1.0]
    assert inner.texts == ["a", "bb", "ccc"]
    assert remembered.uncached is inner
