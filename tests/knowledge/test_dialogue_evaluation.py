"""make eval of a conversation file: reading it, one query a turn, scoring the turns about content, and
the direct runner carrying the conversation from turn to turn (ops/eval_rasa.py asks Rasa the same way)."""
from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from knowledge.answering.engine import KnowledgeEngine
from knowledge.evaluation.dialogues import (
    Conversation, ConversationRun, Transcript, TranscriptTurn, flatten, is_conversation_file, read_conversations, repeated_text,
    evaluate_file, run_conversations, score_conversations, scored_turns, write_turns,
)
from knowledge.evaluation.evaluate import Metrics, Query, ReportLine
from knowledge.settings import REPO_ROOT

SHARED_SCORE = REPO_ROOT.parent / "shared" / "eval" / "score.py"

ROAMING = "lumen/roaming-abroad-en"
CONVERSATIONS: list[dict[str, object]] = [
    {"id": "dlg-1", "lang": "en", "kind": "follow_up", "turns": [
        {"text": "how much is roaming in the US", "expected": ROAMING},
        {"text": "and in canada?", "expected": ROAMING, "tag": "follow_up"},
        {"text": "thanks", "expected": None},
    ]},
    {"id": "dlg-2", "lang": "fr", "kind": "form_escape", "turns": [
        {"text": "on m'a volé mon téléphone", "expected": "escalate", "reason": "sensitive"},
        {"text": "comment bloquer ma carte sim ?", "expected": "lumen/lost-stolen-phone-fr", "tag": "in_form"},
        {"text": "non merci", "expected": None},
        {"text": "quelle est la capitale de l'Australie", "expected": "no_answer", "reason": "out_of_scope"},
    ]},
]


def _write(path: Path, rows: Sequence[object]) -> Path:
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)) + "\n" for row in rows),
                    encoding="utf-8")
    return path


def _line(turn: str, outcome: str, article: str | None = None) -> ReportLine:
    return {"id": turn, "outcome": outcome, "article": article, "reason": None, "confidence": 0.5, "latency_ms": 1.0}


# -- reading ----------------------------------------------------------------------------


def test_a_conversation_file_is_told_from_a_query_file_by_its_content(tmp_path: Path) -> None:
    conversations = _write(tmp_path / "dev.jsonl", ["", *CONVERSATIONS])
    queries = _write(tmp_path / "queries.jsonl", [{"id": "q1", "text": "hi", "expected": "no_answer"}])
    assert is_conversation_file(conversations)
    assert not is_conversation_file(queries)


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", r"dev.jsonl:2: not JSON"),
        ({"id": "x", "lang": "en", "turns": [{"expected": None}]}, r"dev.jsonl:2: turn 0 needs a 'text'"),
        ({"id": "x", "turns": [{"text": "hi", "expected": None}, {"text": "ok", "expected": 3}]},
         r"dev.jsonl:2: turn 1: 'expected' must be an article id, \"escalate\", \"no_answer\" or null, not 3"),
        ({"id": "x", "turns": [{"text": "hi", "expected": ["a"]}]}, r"dev.jsonl:2: turn 0: 'expected' must be"),
        ({"id": "x", "turns": [{"text": "hi", "expected": None, "tag": "followup"}]},
         r"dev.jsonl:2: turn 0: 'tag' must be one of follow_up, in_form"),
        ({"id": "x", "turns": []}, r"dev.jsonl:2: a conversation needs 'turns'"),
        ({"turns": [{"text": "hi", "expected": None}]}, r"dev.jsonl:2: a conversation needs an 'id'"),
        ({"id": "dlg-1", "turns": [{"text": "hi", "expected": None}]}, r"dev.jsonl:2: conversation id 'dlg-1' is already on line 1"),
        ({"id": "x", "lang": 7, "turns": [{"text": "hi", "expected": None}]}, r"dev.jsonl:2: 'lang' must be a string or null"),
    ],
)
def test_a_malformed_conversation_names_its_file_line_and_what_is_wrong(
    tmp_path: Path, bad_line: object, message: str,
) -> None:
    data = _write(tmp_path / "dev.jsonl", [CONVERSATIONS[0], bad_line])
    with pytest.raises(ValueError, match=message):
        read_conversations(data)


def test_each_turn_becomes_a_query_with_its_conversations_language_and_kind(tmp_path: Path) -> None:
    turns = flatten(read_conversations(_write(tmp_path / "dev.jsonl", CONVERSATIONS)))
    assert [t["id"] for t in turns] == ["dlg-1/0", "dlg-1/1", "dlg-1/2", "dlg-2/0", "dlg-2/1", "dlg-2/2", "dlg-2/3"]
    assert turns[1] == {"id": "dlg-1/1", "text": "and in canada?", "lang": "en", "expected": ROAMING, "reason": None,
                        "kind": "follow_up", "tag": "follow_up"}
    assert turns[3]["lang"] == "fr" and turns[3]["reason"] == "sensitive" and "tag" not in turns[3]
    assert [t["id"] for t in scored_turns(turns)] == ["dlg-1/0", "dlg-1/1", "dlg-2/0", "dlg-2/1", "dlg-2/3"]


def test_a_turn_without_expected_is_not_scored(tmp_path: Path) -> None:
    data = _write(tmp_path / "dev.jsonl", [{"id": "x", "turns": [{"text": "hello?"}]}])
    assert scored_turns(flatten(read_conversations(data))) == []


# -- scoring ----------------------------------------------------------------------------

# What the bot did with each turn: the thanks and the "non merci" were answered (not scored).
REPORT = [
    _line("dlg-1/0", "answer", ROAMING),
    _line("dlg-1/1", "decline"),
    _line("dlg-1/2", "answer", "lumen/track-order-en"),
    _line("dlg-2/0", "escalate"),
    _line("dlg-2/1", "answer", "lumen/lost-stolen-phone-fr"),
    _line("dlg-2/2", "answer", "lumen/track-order-fr"),
    _line("dlg-2/3", "decline"),
]


def _scored(
    tmp_path: Path, report: list[ReportLine] = REPORT, repeated: list[str] | None = None,
) -> tuple[list[Query], tuple[Metrics, dict[str, Any], list[str]]]:
    turns = flatten(read_conversations(_write(tmp_path / "dev.jsonl", CONVERSATIONS)))
    transcripts: list[Transcript] = [{"id": "dlg-1", "turns": []}, {"id": "dlg-2", "turns": []}]
    return turns, score_conversations(turns, ConversationRun(report, transcripts, repeated))


def test_only_turns_about_content_are_scored_overall_and_per_language_kind_and_tag(tmp_path: Path) -> None:
    _, (metrics, extra, printed) = _scored(tmp_path)
    # Scored: dlg-1/0 answered, dlg-1/1 declined, dlg-2/0 escalated, dlg-2/1 answered, dlg-2/3 declined.
    assert (metrics.n, metrics.answer_rate, metrics.conformity) == (5, pytest.approx(2 / 3), 1.0)
    assert (metrics.escalation_recall, metrics.oos_decline) == (1.0, 1.0)
    assert (extra["conversations"], extra["turns"], extra["scored_turns"]) == (2, 7, 5)
    assert extra["languages"]["en"]["answer_rate"] == 0.5 and extra["languages"]["fr"]["n"] == 3
    assert set(extra["kinds"]) == {"follow_up", "form_escape"}
    assert extra["tags"]["follow_up"]["answer_rate"] == 0.0 and extra["tags"]["in_form"]["answer_rate"] == 1.0
    assert "repeated_text_conversations" not in extra  # directly there is no dialogue to loop
    assert printed[0] == "2 conversations, 7 turns, 5 scored"
    assert "kind follow_up: answer_rate=0.500 conformity=1.000 escalation_recall=na oos_decline=na no_false_esc=1.000 n=2" in printed
    assert any(line.startswith("tag in_form: answer_rate=1.000") for line in printed)
    assert any(line.startswith("fr: ") for line in printed)


def test_a_loop_is_counted_and_named(tmp_path: Path) -> None:
    _, (_, extra, printed) = _scored(tmp_path, repeated=["dlg-2"])
    assert (extra["repeated_text_conversations"], extra["repeated_text_ids"]) == (1, ["dlg-2"])
    assert printed[-1] == "repeated_text_conversations=1 (dlg-2)"


def test_one_bot_text_three_times_in_a_row_is_a_loop_whatever_the_customer_says() -> None:
    def said(*texts: str) -> list[TranscriptTurn]:
        return [{"text": "?", "replies": [{"outcome": "smalltalk", "text": t} for t in turn.split("|")]} for turn in texts]

    transcripts: list[Transcript] = [
        {"id": "loops", "turns": said("Hello", "Anything else?", "Anything else?|Anything else? ")},
        {"id": "twice", "turns": said("Anything else?", "Anything else?", "Bye", "Anything else?")},
    ]
    assert repeated_text(transcripts) == ["loops"]


@pytest.mark.skipif(not SHARED_SCORE.exists(), reason="shared/eval is not beside the repository")
def test_the_scored_turns_file_gives_the_shared_scorer_the_same_figures(tmp_path: Path) -> None:
    turns, (metrics, _, _) = _scored(tmp_path)
    write_turns(tmp_path / "turns.jsonl", scored_turns(turns))
    written = [json.loads(line) for line in (tmp_path / "turns.jsonl").read_text(encoding="utf-8").splitlines()]
    assert written[0] == {"id": "dlg-1/0", "text": "how much is roaming in the US", "lang": "en", "expected": ROAMING}
    report = _write(tmp_path / "report.jsonl", list(REPORT))
    shared = subprocess.run([sys.executable, str(SHARED_SCORE), str(tmp_path / "turns.jsonl"), str(report)],
                            capture_output=True, text=True)
    assert "missing=0 n=5" in shared.stdout
    for key in ("answer_rate", "conformity", "escalation_recall", "oos_decline", "no_false_esc"):
        assert f"{key}={getattr(metrics, key):.3f}" in shared.stdout


def test_conversations_asked_another_way_need_a_way_to_converse(tmp_path: Path) -> None:
    data = _write(tmp_path / "dev.jsonl", CONVERSATIONS)
    with pytest.raises(ValueError, match="holds conversations: asking rasa needs a way to converse"):
        evaluate_file(tmp_path / "kb", data, tmp_path / "out", via="rasa")


# -- the direct runner ------------------------------------------------------------------


def test_the_direct_runner_reads_a_follow_up_with_its_conversation_only(sample_engine: KnowledgeEngine) -> None:
    conversations: list[Conversation] = [
        {"id": "roaming", "lang": "en", "turns": [
            {"text": "how much does it cost to use my phone abroad", "expected": ROAMING},
            {"text": "and in canada?", "expected": ROAMING},
            {"text": "thanks", "expected": None},
        ]},
        {"id": "alone", "lang": "en", "turns": [{"text": "and in canada?", "expected": None}]},
    ]
    run = run_conversations(sample_engine, conversations)
    by_id = {line["id"]: line for line in run.lines}
    assert [line["id"] for line in run.lines] == ["roaming/0", "roaming/1", "roaming/2", "alone/0"]
    assert (by_id["roaming/1"]["outcome"], by_id["roaming/1"]["article"]) == ("answer", ROAMING)
    follow_up = run.transcripts[0]["turns"][1]
    assert follow_up["follow_up"] and follow_up["understood_as"].endswith("and in canada?")
    # The next conversation starts afresh: the same words alone are not about roaming.
    assert run.transcripts[1]["turns"][0]["follow_up"] is False
    assert by_id["alone/0"]["article"] != ROAMING
    assert run.repeated_text is None
