"""Runs one query set through this project's decision code and through each baseline.

This project is run exactly as `make eval` runs it (throwaway index, thresholds calibrated
from the knowledge base). Each baseline is fit on the knowledge base without its held-out
variants, its threshold picked on those (`protocol.pick_threshold`), then scored:
the dense and BM25 baselines are refit on every variant first (it costs seconds); the Rasa
baseline is scored with the model it was calibrated with, since a second training would
double the longest step (about 25 minutes on clinc150 at 100 epochs).

Curves (answer rate against conformity as a threshold sweeps): for a baseline, its one
threshold; for this project, its answer threshold over its own ranking (the variant
classifier, or passages for a base of plain documents) with its escalations kept as they
were decided; the operating point is always the real decision.
"""
from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.articles import load_folder
from knowledge.answering.calibration import NEVER
from knowledge.embeddings import make_embeddings
from knowledge.answering.engine import KnowledgeEngine
from knowledge.evaluation.evaluate import Metrics, Query, ReportLine, build_throwaway_engine, read_queries, run_direct, score
from knowledge.evaluation.baselines import bm25, dense, rasa_faq
from knowledge.evaluation.baselines.protocol import (
    Corpus,
    Prediction,
    Split,
    decide,
    held_out_questions,
    pick_threshold,
    queries_as_questions,
    split_corpus,
    threshold_grid,
)
from knowledge.settings import KnowledgeSettings
from knowledge.answering.triggers import load_trigger_examples

SYSTEMS = ("ours", "rasa_faq", "dense", "bm25")
TITLES = {
    "ours": "this project (make eval)",
    "rasa_faq": "Rasa FAQ: ResponseSelector + fallback",
    "dense": "LangChain + Chroma top-1",
    "bm25": "BM25 top-1",
}


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    answer_rate: float | None
    conformity: float | None


@dataclass
class SystemResult:
    name: str
    lines: list[ReportLine] = field(default_factory=list)
    metrics: Metrics | None = None  # None: not applicable or failed (see note)
    threshold: float | None = None  # the baseline's answering threshold; None for this project
    curve: list[CurvePoint] = field(default_factory=list)
    seconds: float = 0.0  # fit, calibration and the questions
    note: str = ""

    @property
    def title(self) -> str:
        return TITLES.get(self.name, self.name)

    @property
    def median_latency_ms(self) -> float | None:
        latencies = sorted(line["latency_ms"] for line in self.lines)
        return latencies[len(latencies) // 2] if latencies else None

    def answer_rate_at(self, target: float) -> float | None:
        """Highest answer rate over the curve whose conformity on these queries reaches
        target: a threshold chosen on the scored set, so a ceiling, not a result."""
        rates = [p.answer_rate for p in self.curve if p.conformity is not None and p.conformity >= target and p.answer_rate is not None]
        return max(rates, default=0.0) if self.curve else None


def curve_of(
    corpus: Corpus, queries: Sequence[Query], predictions: Sequence[Prediction],
    fixed: dict[str, ReportLine] | None = None,
) -> list[CurvePoint]:
    """Answer rate and conformity on the queries as the threshold sweeps the confidences seen.

    `fixed`: lines that stay as they are at every threshold (this project's escalations).
    """
    points = []
    for threshold in threshold_grid([p.confidence for p in predictions]):
        lines = {p.id: decide(corpus, p, threshold) for p in predictions}
        if fixed:
            lines.update(fixed)
        metrics = score(queries, lines)
        points.append(CurvePoint(threshold, metrics.answer_rate, metrics.conformity))
    return points


def scored(name: str, corpus: Corpus, queries: Sequence[Query], predictions: Sequence[Prediction],
           threshold: float) -> SystemResult:
    lines = [decide(corpus, p, threshold) for p in predictions]
    return SystemResult(
        name, lines, score(queries, {line["id"]: line for line in lines}), threshold,
        curve_of(corpus, queries, predictions),
        note="never reached the target on held-out variants" if threshold >= NEVER else "",
    )


def run_ours(kb: Path, queries: list[Query], settings: KnowledgeSettings, workdir: Path, corpus: Corpus) -> SystemResult:
    began = time.perf_counter()
    engine = build_throwaway_engine(kb, settings, workdir)
    lines = run_direct(engine, queries)
    seconds = time.perf_counter() - began
    return SystemResult(
        "ours", lines, score(queries, {line["id"]: line for line in lines}), None,
        curve_of(corpus, queries, _top_matches(engine, queries),
                 fixed={line["id"]: line for line in lines if line["outcome"] == "escalate"}),
        seconds,
    )


def _top_matches(engine: KnowledgeEngine, queries: Sequence[Query], batch: int = 64) -> list[Prediction]:
    """The engine's best article and confidence per query, on the path that answers most
    of this base (variants if any article has them, else passages), for the curve only."""
    by_variants = any(a.questions for a in engine.snapshot.articles.values())
    rank = engine.rank_variants if by_variants else engine.rank_passages
    predictions = []
    for start in range(0, len(queries), batch):
        chunk = queries[start : start + batch]
        vectors = engine.embed([q["text"] for q in chunk])
        for query, vector in zip(chunk, vectors):
            ranking = rank(query["text"], vector, engine.language_of(query["text"], query.get("lang")))
            predictions.append(Prediction(query["id"], ranking.best, ranking.confidence, 0.0))
    return predictions


def _timed(run: Callable[[], SystemResult]) -> SystemResult:
    began = time.perf_counter()
    result = run()
    result.seconds = time.perf_counter() - began
    return result


def run_dense(split: Split, queries: list[Query], settings: KnowledgeSettings, workdir: Path, target: float) -> SystemResult:
    embeddings = dense.RememberedEmbeddings(make_embeddings(settings))
    held = dense.predict(split.fit, held_out_questions(split.held_out), embeddings, workdir, settings)
    threshold = pick_threshold(split.fit, split.held_out, held, target)
    predictions = dense.predict(split.full, queries_as_questions(queries), embeddings, workdir, settings)
    return scored("dense", split.full, queries, predictions, threshold)


def run_bm25(split: Split, queries: list[Query], target: float) -> SystemResult:
    held = bm25.predict(split.fit, held_out_questions(split.held_out))
    threshold = pick_threshold(split.fit, split.held_out, held, target)
    return scored("bm25", split.full, queries, bm25.predict(split.full, queries_as_questions(queries)), threshold)


def run_rasa(split: Split, queries: list[Query], workdir: Path, target: float, epochs: int) -> SystemResult:
    if not rasa_faq.applicable(split.full):
        return SystemResult("rasa_faq", note="not applicable: most articles have no question variants to train on")
    held, predictions = rasa_faq.predict(
        split.fit, [held_out_questions(split.held_out), queries_as_questions(queries)], workdir, epochs
    )
    threshold = pick_threshold(split.fit, split.held_out, held, target)
    result = scored("rasa_faq", split.fit, queries, predictions, threshold)
    result.note = (result.note + "; " if result.note else "") + f"{epochs} epochs"
    return result


def compare(
    kb: Path, data: Path, systems: Sequence[str] = SYSTEMS, epochs: int | None = None,
    settings: KnowledgeSettings | None = None,
) -> list[SystemResult]:
    settings = settings or KnowledgeSettings()
    target = settings.target_conformity
    queries = read_queries(data)
    loaded = load_folder(kb)
    split = split_corpus(loaded.articles, load_trigger_examples())
    print(
        f"{len(loaded.articles)} articles; baselines fit on {len(split.fit.training)} texts, "
        f"calibrated on {len(split.held_out)} held-out ones; {len(queries)} queries",
        file=sys.stderr,
    )
    results: list[SystemResult] = []
    with tempfile.TemporaryDirectory(prefix="kb-baselines-") as tmp:
        workdir = Path(tmp)
        # The Rasa baseline last: by far the longest, and the others are worth having if it fails.
        for name in sorted(systems, key=lambda s: s == "rasa_faq"):
            print(f"== {TITLES.get(name, name)}", file=sys.stderr)
            try:
                if name == "ours":
                    results.append(run_ours(kb, queries, settings, workdir / "ours", split.full))
                elif name == "dense":
                    results.append(_timed(lambda: run_dense(split, queries, settings, workdir, target)))
                elif name == "bm25":
                    results.append(_timed(lambda: run_bm25(split, queries, target)))
                elif name == "rasa_faq":
                    chosen = epochs if epochs is not None else rasa_faq.epochs_from_env()
                    results.append(_timed(lambda: run_rasa(split, queries, workdir, target, chosen)))
                else:
                    raise ValueError(f"unknown system {name!r}; known: {', '.join(SYSTEMS)}")
            except rasa_faq.RasaBaselineError as error:
                results.append(SystemResult(name, note=f"failed: {error}"))
    order = {name: i for i, name in enumerate(SYSTEMS)}
    return sorted(results, key=lambda r: order.get(r.name, len(order)))
