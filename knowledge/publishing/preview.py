"""Preview: what the bot would do with a question, on the live version or on the knowledge base some sources would make."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from chromadb.api import ClientAPI

from knowledge.answering.engine import KnowledgeEngine
from knowledge.contract import Source
from knowledge.publishing.publish import proposed_engine
from knowledge.answering.service import build_engine
from knowledge.settings import KnowledgeSettings
from knowledge.sources import SourceProblem
from knowledge.store import make_client


@dataclass(frozen=True)
class PreviewResult:
    question: str
    lang: str
    outcome: str  # answer, escalate, decline
    reason: str | None
    article: str | None
    title: str | None
    confidence: float | None
    text: str  # the reply the customer would get
    runners_up: list[Source]  # the next articles, best first
    knowledge_base: str  # "live", or "draft": the knowledge base the draft sources would make
    problems: list[SourceProblem] = field(default_factory=list)  # of the draft sources


def preview_with(engine: KnowledgeEngine, question: str, lang: str | None = None, knowledge_base: str = "live") -> PreviewResult:
    decision = engine.decide(question, lang)
    article = engine.snapshot.articles.get(decision.article) if decision.article else None
    return PreviewResult(
        question=question,
        lang=decision.lang,
        outcome=decision.outcome.value,
        reason=decision.reason,
        article=decision.article,
        title=article.title if article else None,
        confidence=decision.confidence,
        text=decision.text,
        runners_up=[s for s in decision.sources if s.article != decision.article],
        knowledge_base=knowledge_base,
    )


def preview(
    question: str,
    sources: Sequence[Path] | None = None,
    lang: str | None = None,
    *,
    settings: KnowledgeSettings | None = None,
    client: ClientAPI | None = None,
) -> PreviewResult:
    """Ask a question against the knowledge base these sources would make (as `publish` would), or the live version.

    A caller asking many questions of the same sources keeps `proposed_engine(...)` and calls `preview_with`.
    """
    settings = settings or KnowledgeSettings()
    client = client or make_client(settings)
    if not sources:
        return preview_with(build_engine(client, settings), question, lang)
    engine, loaded = proposed_engine(sources, settings, client)
    result = preview_with(engine, question, lang, knowledge_base="draft")
    return PreviewResult(**{**result.__dict__, "problems": loaded.problems})
