"""make eval's contract: report format, metrics that agree with shared/eval/score.py."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge.answering.engine import KnowledgeEngine
from knowledge.contract import Outcome
from knowledge.evaluation.evaluate import Query, ReportLine, read_queries, run_direct, score
from knowledge.settings import REPO_ROOT

SHARED_SCORE = REPO_ROOT.parent / "shared" / "eval" / "score.py"

QUERIES: list[Query] = [
    {"id": "1", "text": "a", "expected": "kb/a"},
    {"id": "2", "text": "b", "expected": "kb/b"},
    {"id": "3", "text": "c", "expected": "kb/c"},
    {"id": "4", "text": "d", "expected": "escalate", "reason": "sensitive"},
    {"id": "5", "text": "e", "expected": "no_answer", "reason": "out_of_scope"},
    {"id": "6", "text": "f", "expected": "no_answer", "reason": "out_of_scope"},
]


def _line(qid: str, outcome: str, article: str | None = None) -> ReportLine:
    return {"id": qid, "outcome": outcome, "article": article, "reason": None, "confidence": 0.5, "latency_ms": 1.0}


REPORT = [
    _line("1", "answer", "kb/a"),
    _line("2", "answer", "kb/c"),
    _line("3", "escalate"),
    _line("4", "escalate"),
    _line("5", "answer", "kb/a"),
    _line("6", "decline"),
]


def test_metrics_follow_the_shared_definitions() -> None:
    metrics = score(QUERIES, {line["id"]: line for line in REPORT})
    assert metrics.answer_rate == pytest.approx(2 / 3)
    assert metrics.conformity == pytest.approx(1 / 3)
    assert metrics.escalation_recall == 1.0
    assert metrics.oos_decline == 0.5
    assert metrics.no_false_esc == pytest.approx(2 / 3)  # kb/c was handed over needlessly
    assert metrics.line() == (
        "answer_rate=0.667 conformity=0.333 escalation_recall=1.000 oos_decline=0.500 no_false_esc=0.667 n=6"
    )


@pytest.mark.skipif(not SHARED_SCORE.exists(), reason="shared/eval is not beside the repository")
def test_metrics_agree_with_the_shared_scorer(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(q) + "\n" for q in QUERIES))
    report = tmp_path / "report.jsonl"
    report.write_text("".join(json.dumps(r) + "\n" for r in REPORT))
    shared = subprocess.run([sys.executable, str(SHARED_SCORE), str(data), str(report)], capture_output=True, text=True)
    ours = score(QUERIES, {line["id"]: line for line in REPORT})
    for key, value in (("answer_rate", ours.answer_rate), ("conformity", ours.conformity),
                       ("escalation_recall", ours.escalation_recall), ("oos_decline", ours.oos_decline),
                       ("no_false_esc", ours.no_false_esc)):
        assert f"{key}={value:.3f}" in shared.stdout


def test_a_garbled_query_file_names_its_line(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"id": "1", "text": "x", "expected": "a"}\n{not json\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2: not JSON"):
        read_queries(data)


def test_make_eval_writes_the_report_and_prints_metrics_last(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    for name in ("track-order", "reset-password", "lost-stolen-phone"):
        kb.mkdir(exist_ok=True)
        shutil.copy(REPO_ROOT / "knowledge" / "sample_kb" / "en" / f"{name}.md", kb / f"{name}.md")
    data = tmp_path / "dev.jsonl"
    queries = [
        {"id": "q1", "text": "where is my parcel, I want to track my order", "lang": "en", "expected": "lumen/track-order-en"},
        {"id": "q2", "text": "my phone was stolen", "lang": "en", "expected": "escalate", "reason": "sensitive"},
        {"id": "q3", "text": "who won the football world cup in 1998", "lang": "en", "expected": "no_answer"},
    ]
    data.write_text("".join(json.dumps(q) + "\n" for q in queries))
    out = tmp_path / "out"
    done = subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO_ROOT), "eval", f"KB={kb}", f"DATA={data}", f"OUT={out}"],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("answer_rate=") and last.endswith("n=3")
    lines = [json.loads(line) for line in (out / "report.jsonl").read_text().splitlines()]
    assert [line["id"] for line in lines] == ["q1", "q2", "q3"]
    for line in lines:
        assert set(line) == {"id", "outcome", "article", "reason", "confidence", "latency_ms"}
    by_id = {line["id"]: line for line in lines}
    assert (by_id["q1"]["outcome"], by_id["q1"]["article"]) == ("answer", "lumen/track-order-en")
    assert (by_id["q2"]["outcome"], by_id["q2"]["reason"]) == ("escalate", "sensitive")
    assert by_id["q3"]["outcome"] != "answer"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n"] == 3


def test_a_listed_sensitive_topic_is_handed_over_by_the_direct_evaluation_as_by_the_action_server(
    sample_engine: KnowledgeEngine,
) -> None:
    text = "I got mugged"  # knowledge/sensitive_topics.yml, stolen_or_lost_phone
    assert sample_engine.decide(text, "en").outcome is not Outcome.ESCALATE  # the base alone would not hand it over
    [line] = run_direct(sample_engine, [{"id": "q", "text": text, "lang": "en", "expected": "escalate"}])
    assert (line["outcome"], line["reason"]) == ("escalate", "sensitive")
    [line] = run_direct(sample_engine, [{"id": "q", "text": "how do I activate my eSIM?", "lang": "en", "expected": None}])
    assert line["outcome"] != "escalate"
