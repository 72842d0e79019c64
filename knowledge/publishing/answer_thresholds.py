"""Answer thresholds set from reviewed answers, published as a new knowledge-base version.

    apply_answer_thresholds(thresholds, base=..., note=..., author=...) -> PublishResult

The new version has the live articles and answers with these thresholds over the calibrated ones
(knowledge/index/versions.py: answer_thresholds; the engine applies them, knowledge/answering/service.py).
It is listed, and rolled back, like any publish: a rollback to the version before restores the
thresholds it answered with. Nothing is embedded or calibrated, so it goes live within seconds.
"""
from __future__ import annotations

import math
import time

from chromadb.api import ClientAPI

from knowledge.answering.service import load_lineage
from knowledge.index.ingest import Diff
from knowledge.index.versions import ANY_LANGUAGE, VersionKind, load_manifest, read_head, record_version
from knowledge.publishing.publish import PublishResult, author_or_user, publish_lock
from knowledge.settings import KnowledgeSettings
from knowledge.store import make_client


class KnowledgeBaseMoved(RuntimeError):
    """The version the thresholds were chosen against is no longer the live one."""


def _checked(thresholds: dict[str, float]) -> None:
    if not thresholds:
        raise ValueError("no threshold to apply")
    for lang, value in thresholds.items():
        if not (lang == ANY_LANGUAGE or (len(lang) == 2 and lang.isalpha() and lang.islower())):
            raise ValueError(f"{lang!r}: not a language (two lower-case letters, or {ANY_LANGUAGE!r} for all)")
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{lang}: {value} is not a threshold (a confidence, 0 or more)")


def apply_answer_thresholds(
    thresholds: dict[str, float],
    *,
    base: int,
    note: str,
    author: str | None = None,
    settings: KnowledgeSettings | None = None,
    client: ClientAPI | None = None,
) -> PublishResult:
    """The live articles as a new version answering at these thresholds (language -> threshold, ANY_LANGUAGE
    for every language).

    A language's threshold replaces the one the live version sets for it, the others stay; ANY_LANGUAGE
    replaces them all. `base`: the version they were chosen against; KnowledgeBaseMoved if another one is
    live (nothing changes). No version when the live one already sets exactly these. Raises
    PublishInProgress when a publish or rollback runs, ValueError on a bad threshold.
    """
    _checked(thresholds)
    settings = settings or KnowledgeSettings()
    client = client or make_client(settings)
    name = settings.collection_name
    with publish_lock(settings, author_or_user(author)):
        started = time.perf_counter()
        head = read_head(client, name)
        if head is None or head.number != base:
            live = f"v{head.number}" if head else "nothing"
            raise KnowledgeBaseMoved(f"the thresholds were chosen against v{base}, but {live} is live now: "
                                     "look at the proposal again and apply it to the live version")
        _, manifest = load_manifest(client, name, head.number)
        kept = {} if ANY_LANGUAGE in thresholds else dict(head.answer_thresholds)
        wanted = dict(sorted({**kept, **thresholds}.items()))
        result = PublishResult(diff=Diff(unchanged=len(manifest)), base=head.number,
                               lineage=load_lineage(client, settings, head.kb_version))
        if wanted != head.answer_thresholds:
            result.version = record_version(client, name, manifest, head.kb_version, author_or_user(author),
                                            VersionKind.THRESHOLDS, [], [], [], note=note, answer_thresholds=wanted)
        result.seconds = time.perf_counter() - started
        return result
