"""The figures the simulated day should produce, computed from its journal alone (this file reads
nothing of handoff/insights). The definitions are those of the README's "Figures", applied to what the
customers got back:

- a conversation "has messages" once the bot replied in it; a question turn is a reply whose outcome is
  answer, decline or escalate; a hand-over is a turn that escalated and left the chat in the queue (an
  escalation with nobody online goes to a ticket instead, and is no hand-over);
- self-care: conversations with an answer, no hand-over, no ticket and no "not helpful";
- "helpful?": the last yes or no given to each answer; CSAT: each conversation's last rating;
- conformity: verdicts "correct" / verdicts, with the Wilson score interval at 95 % (z = 1.96).

Times (queue wait, first response, handling) are not counted here: the journal does not know the
server's clock, so they are shown, not compared."""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

from ops.simulate_day.journal import ConversationRecord, Journal, Verdict

QUESTION_OUTCOMES = ("answer", "decline", "escalate")
Z = 1.96


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def wilson_interval(correct: int, total: int) -> dict[str, Any]:
    """Estimate and Wilson score bounds; nothing reviewed: no estimate, [0, 1]."""
    if total == 0:
        return {"estimate": None, "low": 0.0, "high": 1.0, "reviewed": 0}
    p = correct / total
    denominator = 1 + Z * Z / total
    centre = (p + Z * Z / (2 * total)) / denominator
    half = Z * math.sqrt(p * (1 - p) / total + Z * Z / (4 * total * total)) / denominator
    return {"estimate": p, "low": max(0.0, centre - half), "high": min(1.0, centre + half), "reviewed": total}


def _self_cared(record: ConversationRecord) -> bool:
    replies = record.replies
    return (any(r.outcome == "answer" for r in replies)
            and not any(turn.handed_over for turn in record.turns)
            and not any(r.outcome == "ticket" for r in replies)
            and not any(turn.kind == "feedback" and turn.said == "no" for turn in record.turns))


def _articles(journal: Journal) -> dict[str, dict[str, Any]]:
    answers: Counter[str] = Counter()
    after: Counter[str] = Counter()
    verdicts: dict[str, list[bool]] = defaultdict(list)
    for record in journal.conversations:
        last_article = None
        for turn in record.turns:
            for reply in turn.replies:
                if reply.outcome == "answer" and reply.article:
                    answers[reply.article] += 1
                    last_article = reply.article
            if turn.handed_over and last_article:
                after[last_article] += 1
        for message_id, helpful in record.helpful.items():
            article = record.helpful_article.get(message_id)
            if article:
                verdicts[article].append(helpful)
    return {article: {"answers": answers[article], "unhelpful_rate": share(verdicts[article].count(False), len(verdicts[article])),
                      "handovers_after": after[article]}
            for article in set(answers) | set(after) | set(verdicts)}


def _conformity(verdicts: list[Verdict]) -> dict[str, Any]:
    overall = wilson_interval(sum(v.verdict == "correct" for v in verdicts), len(verdicts))
    by_lang = {}
    for lang in ("en", "fr"):
        mine = [v for v in verdicts if v.lang == lang]
        by_lang[lang] = wilson_interval(sum(v.verdict == "correct" for v in mine), len(mine))
    return {**overall, "by_lang": by_lang}


def expected_figures(journal: Journal) -> dict[str, Any]:
    records = journal.conversations
    with_messages = [r for r in records if r.replies]
    replies = [reply for record in records for reply in record.replies]
    questions = [r for r in replies if r.outcome in QUESTION_OUTCOMES]
    handovers = [turn for record in records for turn in record.turns if turn.handed_over]
    reasons = Counter(next(r.reason or "unknown" for r in turn.replies if r.outcome == "escalate") for turn in handovers)
    last_ratings = [record.ratings[-1] for record in records if record.ratings]
    helpful = [value for record in records for value in record.helpful.values()]
    yes, no = helpful.count(True), helpful.count(False)
    return {
        "conversations": len(records),
        "conversations_with_messages": len(with_messages),
        "question_turns": len(questions),
        "self_care_rate": share(sum(_self_cared(r) for r in with_messages), len(with_messages)),
        "answer_rate": share(sum(r.outcome == "answer" for r in questions), len(questions)),
        "decline_rate": share(sum(r.outcome == "decline" for r in questions), len(questions)),
        "handovers": len(handovers),
        "escalations": dict(reasons),
        "abandoned": 0,  # every queued chat is claimed at once
        "tickets": {"opened": sum(r.outcome == "ticket" and bool(r.ticket) for r in replies),
                    "closed": len(journal.tickets_done)},
        "csat": {"mean": sum(last_ratings) / len(last_ratings) if last_ratings else None, "count": len(last_ratings),
                 "satisfied_rate": share(sum(r >= 4 for r in last_ratings), len(last_ratings))},
        "helpful": {"yes": yes, "no": no, "rate": share(yes, yes + no)},
        "conformity": _conformity(journal.verdicts),
        "articles": _articles(journal),
    }
