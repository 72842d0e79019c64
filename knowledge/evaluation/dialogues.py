"""`make eval` of a conversation file: every turn in order in one conversation, scored like queries.

A conversation file (shared/eval/README.md, "Conversation format") has one conversation a line:
{"id", "lang", "kind", "turns": [{"text", "expected", "reason", "tag"?}]}. `make eval` tells it from a
query file by its content (its lines have "turns"). Each turn becomes a `Query` whose id is
"<conversation id>/<turn index from 0>"; the report has one line per turn, and the turns whose
`expected` is not null are scored with `knowledge.evaluation.evaluate.score`, overall and per
language, `kind` and `tag`. OUT/turns.jsonl holds the scored turns as a plain query file, so
`shared/eval/score.py OUT/turns.jsonl OUT/report.jsonl` scores the same report; OUT/transcripts.jsonl
holds what was said, one conversation a line.

How the bot is asked is a parameter, as for queries (`Converse`):

- directly (`converse_directly`): the decision code in this process, each turn read with the
  conversation so far (`knowledge.answering.followups`: `decide_in_context`, then `next_context`).
  Only the knowledge base decides here: the dialogue itself (contact form, small talk, the advisor
  offered after an unsure decline, "Did you mean" buttons, closing) is Rasa's and does not exist on
  this path, so a turn answering the bot ("yes", an email address) is decided as a question like
  any other. Such turns have `expected: null` and are not scored;
- through Rasa (ops/eval_rasa.py: `converse_through_rasa`): the whole bot, one sender a conversation.
"""
from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from tqdm import tqdm

from knowledge.answering.engine import KnowledgeEngine
from knowledge.answering.followups import TurnContext, decide_in_context, next_context
from knowledge.evaluation.evaluate import (
    AskBot, Metrics, Query, ReportLine, ThrowawayIndex, ask_directly, build_throwaway_engine, evaluate, report_line,
    score, score_parts, write_outputs,
)
from knowledge.settings import KnowledgeSettings

# Our own files may mark a turn so that the evaluation reports it apart (hidden files have no tags).
TAGS = frozenset({
    "follow_up",  # the turn only makes sense with the previous ones
    "in_form",  # a question asked while the bot waits for contact details
})
# The same bot text this many times in a row is a loop.
REPEATS_FOR_A_LOOP = 3


class Turn(TypedDict, total=False):
    text: str
    expected: str | None  # an article id, "escalate", "no_answer"; None: not about content, not scored
    reason: str | None
    tag: str


class Conversation(TypedDict, total=False):
    id: str
    lang: str | None
    kind: str
    turns: list[Turn]


class BotText(TypedDict):
    outcome: str | None  # the reply's outcome (answer, smalltalk, ticket…), None when it carries none
    text: str


class TranscriptTurn(TypedDict, total=False):
    text: str  # the customer's
    replies: list[BotText]  # the bot's, in order
    understood_as: str  # directly: the text that was decided (the turn, or the last question followed by it)
    follow_up: bool  # directly: the turn was read with the last question


class Transcript(TypedDict, total=False):
    id: str
    sender: str  # through Rasa: the sender id the conversation had
    turns: list[TranscriptTurn]


@dataclass(frozen=True)
class ConversationRun:
    lines: list[ReportLine]  # one per turn, conversations and turns in order
    transcripts: list[Transcript]  # one per conversation
    # Conversations in which the bot sent one text three times in a row; None when not checked
    # (directly there is no dialogue, only decisions).
    repeated_text: list[str] | None = None


# How the bot is asked: every conversation in order, one report line a turn.
Converse = Callable[[ThrowawayIndex, list[Conversation]], ConversationRun]


def turn_id(conversation_id: str, index: int) -> str:
    return f"{conversation_id}/{index}"


# -- reading ---------------------------------------------------------------------------


def is_conversation_file(path: Path) -> bool:
    """Whether the data file holds conversations: its first JSON object has "turns"."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                first = json.loads(line)
            except json.JSONDecodeError:
                return False  # read as queries, which names the line
            return isinstance(first, dict) and "turns" in first
    return False


def _optional_text(item: dict[str, Any], key: str) -> bool:
    return item.get(key) is None or isinstance(item[key], str)


def _turn(raw: object, index: int) -> Turn:
    """A turn as written, checked; raises ValueError saying what is wrong (without the place)."""
    if not isinstance(raw, dict):
        raise ValueError(f"turn {index} is not a JSON object")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"turn {index} needs a 'text' (what the customer says)")
    expected = raw.get("expected")  # absent: as null, a turn not scored
    if expected is not None and (not isinstance(expected, str) or not expected.strip()):
        raise ValueError(f"turn {index}: 'expected' must be an article id, \"escalate\", \"no_answer\" or null, "
                         f"not {json.dumps(expected)}")
    if not _optional_text(raw, "reason"):
        raise ValueError(f"turn {index}: 'reason' must be a string or null, not {json.dumps(raw['reason'])}")
    tag = raw.get("tag")
    if tag is not None and tag not in TAGS:
        raise ValueError(f"turn {index}: 'tag' must be one of {', '.join(sorted(TAGS))}, not {json.dumps(tag)}")
    turn: Turn = {"text": text, "expected": expected, "reason": raw.get("reason")}
    if tag is not None:
        turn["tag"] = tag
    return turn


def _conversation(raw: object) -> Conversation:
    """A conversation as written, checked; raises ValueError saying what is wrong (without the place)."""
    if not isinstance(raw, dict):
        raise ValueError("a conversation is a JSON object")
    conversation_id = raw.get("id")
    if not isinstance(conversation_id, str) or not conversation_id.strip():
        raise ValueError("a conversation needs an 'id' (a string)")
    for key in ("lang", "kind"):
        if not _optional_text(raw, key):
            raise ValueError(f"'{key}' must be a string or null, not {json.dumps(raw[key])}")
    turns = raw.get("turns")
    if not isinstance(turns, list) or not turns:
        raise ValueError("a conversation needs 'turns', a list of at least one turn")
    conversation: Conversation = {"id": conversation_id, "lang": raw.get("lang"),
                                  "turns": [_turn(turn, index) for index, turn in enumerate(turns)]}
    if raw.get("kind") is not None:
        conversation["kind"] = raw["kind"]
    return conversation


def read_conversations(path: Path) -> list[Conversation]:
    """The conversations of a file; ValueError naming the file and line of the first problem."""
    conversations: list[Conversation] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            conversation = _conversation(json.loads(line))
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}:{number}: not JSON: {error.msg}") from error
        except ValueError as error:
            raise ValueError(f"{path}:{number}: {error}") from None
        if conversation["id"] in seen:
            raise ValueError(f"{path}:{number}: conversation id {conversation['id']!r} is already on line "
                             f"{seen[conversation['id']]}")
        seen[conversation["id"]] = number
        conversations.append(conversation)
    if not conversations:
        raise ValueError(f"{path}: no conversation")
    return conversations


def flatten(conversations: Sequence[Conversation]) -> list[Query]:
    """One query a turn, in order: the turn's text and expectation, the conversation's language and kind."""
    queries: list[Query] = []
    for conversation in conversations:
        for index, turn in enumerate(conversation["turns"]):
            query: Query = {"id": turn_id(conversation["id"], index), "text": turn["text"],
                            "lang": conversation.get("lang"), "expected": turn.get("expected"),
                            "reason": turn.get("reason")}
            if conversation.get("kind") is not None:
                query["kind"] = conversation["kind"]
            if "tag" in turn:
                query["tag"] = turn["tag"]
            queries.append(query)
    return queries


def scored_turns(turns: Sequence[Query]) -> list[Query]:
    """The turns about content: those whose `expected` is not null."""
    return [turn for turn in turns if turn.get("expected") is not None]


def write_turns(path: Path, turns: Sequence[Query]) -> None:
    """Turns as a plain query file (id, text, lang, expected, reason), for shared/eval/score.py."""
    with path.open("w", encoding="utf-8") as handle:
        for turn in turns:
            fields = {"id": turn["id"], "text": turn["text"], "lang": turn.get("lang"),
                      "expected": turn.get("expected"), "reason": turn.get("reason")}
            query = {key: value for key, value in fields.items() if value is not None}
            handle.write(json.dumps(query, ensure_ascii=False) + "\n")


# -- asking ----------------------------------------------------------------------------


def repeated_text(transcripts: Sequence[Transcript], times: int = REPEATS_FOR_A_LOOP) -> list[str]:
    """The conversations in which the bot sent one text `times` times in a row (its replies in order,
    whatever the customer said in between)."""
    looping: list[str] = []
    for transcript in transcripts:
        texts = [reply["text"].strip() for turn in transcript.get("turns", []) for reply in turn.get("replies", [])]
        texts = [text for text in texts if text]
        if any(len(set(texts[start : start + times])) == 1 for start in range(len(texts) - times + 1)):
            looping.append(transcript["id"])
    return looping


def converse_directly(index: ThrowawayIndex, conversations: list[Conversation]) -> ConversationRun:
    """The decision code in this process, each turn read with the conversation so far."""
    return run_conversations(index.engine, conversations)


def run_conversations(engine: KnowledgeEngine, conversations: Sequence[Conversation]) -> ConversationRun:
    """Each conversation from no context; a conversation's turns are embedded together, and each
    latency includes its share of that."""
    lines: list[ReportLine] = []
    transcripts: list[Transcript] = []
    with tqdm(total=sum(len(c["turns"]) for c in conversations), desc="turns", unit="turn") as bar:
        for conversation in conversations:
            turns = conversation["turns"]
            began = time.perf_counter()
            vectors = engine.embed([turn["text"] for turn in turns])
            embed_share_ms = (time.perf_counter() - began) * 1000 / len(turns)
            context: TurnContext | None = None
            said: list[TranscriptTurn] = []
            for number, (turn, vector) in enumerate(zip(turns, vectors)):
                began = time.perf_counter()
                result = decide_in_context(engine, turn["text"], conversation.get("lang"), context, vector=vector)
                latency_ms = embed_share_ms + (time.perf_counter() - began) * 1000
                context = next_context(context, turn["text"], result)
                lines.append(report_line(turn_id(conversation["id"], number), result.decision, latency_ms))
                said.append({
                    "text": turn["text"],
                    "replies": [{"outcome": result.decision.outcome.value, "text": result.decision.text}],
                    "understood_as": result.understood_as,
                    "follow_up": result.follow_up,
                })
                bar.update(1)
            transcripts.append({"id": conversation["id"], "turns": said})
    return ConversationRun(lines, transcripts)


# -- scoring ---------------------------------------------------------------------------

# How the scored turns are split in the printed lines and summary.json: (key, label, part of a turn).
PARTS: tuple[tuple[str, str, Callable[[Query], str | None]], ...] = (
    ("languages", "", lambda turn: turn.get("lang")),
    ("kinds", "kind ", lambda turn: turn.get("kind")),
    ("tags", "tag ", lambda turn: turn.get("tag")),
)


def score_conversations(
    turns: Sequence[Query], run: ConversationRun,
) -> tuple[Metrics, dict[str, Any], list[str]]:
    """The metrics of the scored turns, what summary.json adds, and the lines printed before the
    overall one: per language (when there are several, as for queries), per kind, per tag."""
    by_id = {line["id"]: line for line in run.lines}
    scored = scored_turns(turns)
    conversations = len(run.transcripts)
    extra: dict[str, Any] = {"conversations": conversations, "turns": len(turns), "scored_turns": len(scored)}
    printed = [f"{conversations} conversations, {len(turns)} turns, {len(scored)} scored"]
    for key, label, part_of in PARTS:
        parts = score_parts(scored, by_id, part_of)
        if key == "languages" and len(parts) < 2:
            continue
        printed += [f"{label}{name}: {part.line()}" for name, part in parts.items()]
        extra[key] = {name: part.__dict__ for name, part in parts.items()}
    if run.repeated_text is not None:
        extra["repeated_text_conversations"] = len(run.repeated_text)
        extra["repeated_text_ids"] = run.repeated_text
        printed.append(f"repeated_text_conversations={len(run.repeated_text)}"
                       + (f" ({', '.join(run.repeated_text)})" if run.repeated_text else ""))
    return score(scored, by_id), extra, printed


def evaluate_conversations(kb: Path, data: Path, out: Path, converse: Converse, via: str) -> Metrics:
    """Scores the conversations in `data` on the articles in `kb`; writes out/report.jsonl (one line a
    turn), out/summary.json, out/turns.jsonl (the scored turns) and out/transcripts.jsonl."""
    settings = KnowledgeSettings()
    conversations = read_conversations(data)
    turns = flatten(conversations)
    with tempfile.TemporaryDirectory(prefix="kb-eval-") as workdir:
        engine = build_throwaway_engine(kb, settings, Path(workdir))
        run = converse(ThrowawayIndex(Path(workdir), engine), conversations)
    metrics, extra, printed = score_conversations(turns, run)
    for line in printed:
        print(line)
    extra = {"kb": str(kb), "data": str(data), "via": via, "thresholds": engine.thresholds.__dict__, **extra}
    write_outputs(out, run.lines, metrics, extra)
    write_turns(out / "turns.jsonl", scored_turns(turns))
    with (out / "transcripts.jsonl").open("w", encoding="utf-8") as handle:
        for transcript in run.transcripts:
            handle.write(json.dumps(transcript, ensure_ascii=False) + "\n")
    print(f"scored turns: {out / 'turns.jsonl'}  transcripts: {out / 'transcripts.jsonl'}")
    return metrics


def evaluate_file(
    kb: Path, data: Path, out: Path, ask: AskBot = ask_directly, via: str = "direct", converse: Converse | None = None,
) -> Metrics:
    """`make eval`: a query file through `ask`, a conversation file through `converse` (directly
    when not given and `via` is direct)."""
    if not is_conversation_file(data):
        return evaluate(kb, data, out, ask, via)
    if converse is None and via != "direct":
        raise ValueError(f"{data} holds conversations: asking {via} needs a way to converse")
    return evaluate_conversations(kb, data, out, converse or converse_directly, via)
