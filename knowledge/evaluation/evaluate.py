"""`make eval`: run a query set through the live decision code on a throwaway index.

How the bot is asked is a parameter: the decision code in this process (`ask_directly`), or
any other way given the throwaway index, such as ops/eval_rasa.py through Rasa's REST channel.
A conversation file (lines with "turns") is evaluated turn by turn by
knowledge.evaluation.dialogues, which builds on this module (`evaluate_file` there takes either).
"""
from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from tqdm import tqdm

from knowledge.articles import load_folder
from knowledge.answering.reviewed import is_held_out
from knowledge.answering.sensitive_topics import SensitiveTopics, apply_topic_rule
from knowledge.embeddings import make_embeddings
from knowledge.answering.engine import KnowledgeEngine
from knowledge.contract import Decision
from knowledge.index.ingest import ingest
from knowledge.settings import KnowledgeSettings
from knowledge.answering.service import build_engine
from knowledge.store import make_client


class Query(TypedDict, total=False):
    id: str
    text: str
    lang: str | None
    expected: str | None  # None only for a conversation turn that is not about content (never scored)
    reason: str | None
    kind: str  # a conversation turn: what its conversation tests (follow_up, topic_switch…)
    tag: str  # a conversation turn, optionally: follow_up or in_form


class ReportLine(TypedDict):
    id: str
    outcome: str
    article: str | None
    reason: str | None
    confidence: float | None
    latency_ms: float


@dataclass(frozen=True)
class Metrics:
    answer_rate: float | None
    conformity: float | None
    escalation_recall: float | None
    oos_decline: float | None
    n: int
    no_false_esc: float | None = None  # answerable queries not handed to a person

    def line(self) -> str:
        def show(value: float | None) -> str:
            return "na" if value is None else f"{value:.3f}"

        return (
            f"answer_rate={show(self.answer_rate)} conformity={show(self.conformity)} "
            f"escalation_recall={show(self.escalation_recall)} oos_decline={show(self.oos_decline)} "
            f"no_false_esc={show(self.no_false_esc)} n={self.n}"
        )


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def score(queries: Iterable[Query], report: Mapping[str, ReportLine]) -> Metrics:
    """The metrics of shared/eval/README.md; a query missing from the report counts as a miss."""
    n = in_scope = answered_in_scope = answers = conform = escalate = escalated = oos = declined_oos = 0
    escalated_in_scope = 0
    for query in queries:
        n += 1
        line = report.get(query["id"])
        outcome = line["outcome"] if line else "missing"
        answered = outcome == "answer"
        expected = query["expected"]
        if answered:
            answers += 1
            conform += line is not None and line["article"] == expected
        if expected == "escalate":
            escalate += 1
            escalated += outcome == "escalate"
        elif expected == "no_answer":
            oos += 1
            declined_oos += not answered
        else:
            in_scope += 1
            answered_in_scope += answered
            escalated_in_scope += outcome == "escalate"
    return Metrics(
        _ratio(answered_in_scope, in_scope), _ratio(conform, answers), _ratio(escalated, escalate),
        _ratio(declined_oos, oos), n, _ratio(in_scope - escalated_in_scope, in_scope),
    )


def score_parts(
    queries: Sequence[Query], report: Mapping[str, ReportLine], part_of: Callable[[Query], str | None],
) -> dict[str, Metrics]:
    """The metrics of each part of the queries (by language, kind…), in the order of the parts'
    names; a query in no part (None) counts in none."""
    names = sorted({name for query in queries if (name := part_of(query))})
    return {name: score([q for q in queries if part_of(q) == name], report) for name in names}


def read_queries(path: Path) -> list[Query]:
    queries: list[Query] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            query = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}:{number}: not JSON: {error.msg}") from error
        if not isinstance(query, dict) or not {"id", "text", "expected"} <= query.keys():
            raise ValueError(f"{path}:{number}: a query needs 'id', 'text' and 'expected'")
        queries.append(query)  # type: ignore[arg-type]
    return queries


def report_line(query_id: str, decision: Decision, latency_ms: float) -> ReportLine:
    return {
        "id": query_id,
        "outcome": decision.outcome.value,
        "article": decision.article,
        "reason": decision.reason,
        "confidence": decision.confidence,
        "latency_ms": round(latency_ms, 2),
    }


def build_throwaway_engine(kb: Path, settings: KnowledgeSettings, workdir: Path) -> KnowledgeEngine:
    """Ingests the folder into an index under workdir/chroma and calibrates it."""
    loaded = load_folder(kb)
    for problem in loaded.problems:
        print(f"skipped {problem}")
    embeddings = make_embeddings(settings)
    client = make_client(settings, path=workdir / "chroma")
    started = time.perf_counter()
    report = ingest(loaded.articles, client, settings.collection_name, embeddings)
    print(f"ingested {len(loaded.articles)} articles in {time.perf_counter() - started:.1f}s ({report.summary()})")
    started = time.perf_counter()
    engine = build_engine(client, settings)
    print(f"calibrated in {time.perf_counter() - started:.1f}s: {engine.thresholds}")
    if engine.reviewed_fit is not None:
        print(f"thresholds {engine.reviewed_fit.summary()} ({settings.reviewed_questions_path})")
    return engine


@dataclass(frozen=True)
class ThrowawayIndex:
    """The knowledge base under evaluation, indexed and calibrated for this run only."""

    workdir: Path  # removed after the run; the index is in workdir/chroma
    engine: KnowledgeEngine

    @property
    def chroma(self) -> Path:
        return self.workdir / "chroma"


# How the bot is asked: every query, one report line each.
AskBot = Callable[[ThrowawayIndex, list[Query]], list[ReportLine]]


def ask_directly(index: ThrowawayIndex, queries: list[Query]) -> list[ReportLine]:
    """The decision code in this process, as the action server runs it."""
    return run_direct(index.engine, queries)


def run_direct(engine: KnowledgeEngine, queries: list[Query], batch: int = 64) -> list[ReportLine]:
    """Questions are embedded in batches; each latency includes its share of the batch. A question
    naming a listed sensitive topic is handed over, as the action server does."""
    topics = SensitiveTopics.load(engine.settings.sensitive_topics_path)
    lines: list[ReportLine] = []
    with tqdm(total=len(queries), desc="questions", unit="q") as bar:
        for start in range(0, len(queries), batch):
            chunk = queries[start : start + batch]
            began = time.perf_counter()
            vectors = engine.embed([query["text"] for query in chunk])
            embed_share_ms = (time.perf_counter() - began) * 1000 / len(chunk)
            for query, vector in zip(chunk, vectors):
                began = time.perf_counter()
                decision = engine.decide(query["text"], query.get("lang"), vector=vector)
                decision, _ = apply_topic_rule(topics, query["text"], decision, decision.lang)
                lines.append(report_line(query["id"], decision, embed_share_ms + (time.perf_counter() - began) * 1000))
            bar.update(len(chunk))
    return lines


def write_outputs(out: Path, lines: list[ReportLine], metrics: Metrics, extra: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "report.jsonl").open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    latencies = sorted(line["latency_ms"] for line in lines)
    summary = {
        **metrics.__dict__,
        "p50_ms": latencies[len(latencies) // 2] if latencies else None,
        "p95_ms": latencies[int(len(latencies) * 0.95)] if latencies else None,
        **extra,
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")


def evaluate(kb: Path, data: Path, out: Path, ask: AskBot = ask_directly, via: str = "direct") -> Metrics:
    """Scores the query set in `data` on the articles in `kb`; writes out/report.jsonl and out/summary.json."""
    settings = KnowledgeSettings()
    queries = read_queries(data)
    with tempfile.TemporaryDirectory(prefix="kb-eval-") as workdir:
        engine = build_throwaway_engine(kb, settings, Path(workdir))
        lines = ask(ThrowawayIndex(Path(workdir), engine), queries)
    by_id = {line["id"]: line for line in lines}
    metrics = score(queries, by_id)
    extra: dict[str, object] = {"kb": str(kb), "data": str(data), "via": via, "thresholds": engine.thresholds.__dict__}
    per_language = score_parts(queries, by_id, lambda query: query.get("lang"))
    if len(per_language) > 1:
        for lang, part in per_language.items():
            print(f"{lang}: {part.line()}")
        extra["languages"] = {lang: part.__dict__ for lang, part in per_language.items()}
    reviewed = settings.reviewed_questions_path
    if engine.reviewed_fit is not None and reviewed is not None and reviewed.resolve() == data.resolve():
        # The queries are the reviewed ones the thresholds were fitted on: score the two parts apart.
        parts = {
            name: score([q for q in queries if is_held_out(str(q["id"])) == held], by_id)
            for name, held in (("fitted", False), ("held_out", True))
        }
        for name, part in parts.items():
            print(f"{name} part of the reviewed questions: {part.line()}")
        extra["reviewed_parts"] = {name: part.__dict__ for name, part in parts.items()}
    write_outputs(out, lines, metrics, extra)
    return metrics


def summary_lines(out: Path, metrics: Metrics) -> list[str]:
    """What `make eval` prints last: where the files are, then the metrics."""
    return [f"report: {out / 'report.jsonl'}  summary: {out / 'summary.json'}", metrics.line()]
