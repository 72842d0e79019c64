"""The simulation's own record of what it did and what it got back: every turn with the replies as the
web app returned them (outcome, reason, route, article, ticket), each "helpful?" and rating given, what
the agent did, the tickets marked done and the reviewer's verdicts. The expected figures are computed
from this record alone. Written as JSON lines, one action a line, as it goes."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO


@dataclass(frozen=True)
class Reply:
    outcome: str
    reason: str | None
    route: str | None
    article: str | None
    lang: str | None
    ticket: str | None
    message_id: str | None  # the bot message's id (what "helpful?" names)


@dataclass(frozen=True)
class Turn:
    kind: str  # "message" or "feedback"
    said: str
    owner: str  # the conversation's owner after the turn: bot, queued, agent, closed
    replies: tuple[Reply, ...]

    @property
    def handed_over(self) -> bool:
        """The bot escalated and the chat went to the agents' queue (not a ticket: nobody online)."""
        return self.owner == "queued" and any(reply.outcome == "escalate" for reply in self.replies)


@dataclass
class ConversationRecord:
    conversation_id: str
    lang: str
    plan: str
    turns: list[Turn] = field(default_factory=list)
    helpful: dict[str, bool] = field(default_factory=dict)  # bot message id -> the last verdict given
    helpful_article: dict[str, str | None] = field(default_factory=dict)
    ratings: list[int] = field(default_factory=list)
    agent_actions: list[str] = field(default_factory=list)  # claimed, replied, closed, handed_back

    @property
    def replies(self) -> list[Reply]:
        return [reply for turn in self.turns for reply in turn.replies]


@dataclass(frozen=True)
class Verdict:
    event_id: str
    conversation_id: str
    lang: str | None
    verdict: str


@dataclass
class Journal:
    path: Path | None = None
    conversations: list[ConversationRecord] = field(default_factory=list)
    tickets_done: list[str] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    _file: TextIO | None = None

    def __post_init__(self) -> None:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")

    def write(self, action: str, **details: Any) -> None:
        if self._file is not None:
            line = {"at": datetime.now(timezone.utc).isoformat(), "action": action, **details}
            self._file.write(json.dumps(line, ensure_ascii=False, default=_plain) + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _plain(value: Any) -> Any:
    return asdict(value) if hasattr(value, "__dataclass_fields__") else str(value)


def replies_of(turn: dict[str, Any]) -> tuple[Reply, ...]:
    """The bot replies of a customer turn's response (its bot messages: each reply with its message id)."""
    return tuple(
        Reply(str(r.get("outcome") or "text"), r.get("reason"), r.get("route"), r.get("article"), r.get("lang"),
              r.get("ticket"), m.get("id"))
        for m in turn.get("messages", []) if m.get("kind") == "bot" for r in [m.get("reply") or {}])
