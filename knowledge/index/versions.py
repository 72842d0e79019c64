"""Knowledge-base versions: who published what, when; and which one the bot answers from.

Each publish, ingest or rollback records a version: its manifest (article id -> content
hash, see knowledge/index/archive.py), who, when, and what changed. The "head" record names the
version the bot answers from; moving it is a single write, so a reader sees either the
old version or the new one, never half of a publish.

A version may also carry answer thresholds the content team set from reviewed answers
(`answer_thresholds`, language -> threshold, ANY_LANGUAGE for all): they replace the calibrated
answer thresholds of those languages. The head carries them too, so that one read says what the
bot answers with (`Head.answering`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum

from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection

from knowledge.store import VERSIONS_SUFFIX, raw_collection

HEAD = "head"
# The key of answer thresholds that apply to every language.
ANY_LANGUAGE = "*"
# Chroma needs a vector per record; versions are looked up by id only.
_NO_VECTOR = [1.0]


class VersionKind(str, Enum):
    PUBLISH = "publish"
    ROLLBACK = "rollback"
    INGEST = "ingest"  # `python -m knowledge ingest`, evaluation: no checks
    THRESHOLDS = "thresholds"  # the same articles, answer thresholds set from reviewed answers


@dataclass(frozen=True)
class VersionInfo:
    number: int
    author: str
    created_at: str  # ISO 8601, UTC
    kind: VersionKind
    kb_version: str  # the snapshot version: the same articles give the same kb_version
    articles: int
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    note: str = ""  # e.g. "rollback to v3"
    answer_thresholds: dict[str, float] = field(default_factory=dict)  # set from reviewed answers, by language

    @property
    def label(self) -> str:
        return f"v{self.number}"

    def summary(self) -> str:
        return f"added {len(self.added)}, changed {len(self.changed)}, removed {len(self.removed)}"


@dataclass(frozen=True)
class Head:
    number: int
    kb_version: str
    answer_thresholds: dict[str, float] = field(default_factory=dict)

    @property
    def answering(self) -> str:
        """What the bot answers with: the articles' version, and the answer thresholds set on it if any
        (the running action servers reload when it changes; they report it, see serving.py)."""
        return answering_version(self.kb_version, self.answer_thresholds)


def answering_version(kb_version: str, answer_thresholds: dict[str, float]) -> str:
    if not answer_thresholds:
        return kb_version
    digest = hashlib.sha256(json.dumps(answer_thresholds, sort_keys=True).encode()).hexdigest()[:8]
    return f"{kb_version}+t{digest}"


def _thresholds(meta: dict) -> dict[str, float]:
    return {lang: float(value) for lang, value in json.loads(str(meta.get("answer_thresholds") or "{}")).items()}


def _collection(client: ClientAPI, name: str) -> Collection:
    return raw_collection(client, name, VERSIONS_SUFFIX)


def _record_id(number: int) -> str:
    return f"v{number:08d}"


def parse_version(text: str | int) -> int:
    """'v3', '3' or 3 -> 3."""
    raw = str(text).strip().lower().removeprefix("v")
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"not a version: {text!r} (expected v1, v2, ... as `versions` lists them)")
    return int(raw)


def read_head(client: ClientAPI, name: str) -> Head | None:
    got = _collection(client, name).get(ids=[HEAD], include=["metadatas"])
    if not got["ids"]:
        return None
    meta = got["metadatas"][0]
    return Head(int(meta["number"]), str(meta["kb_version"]), _thresholds(meta))


def _info(meta: dict, document: str) -> VersionInfo:
    content = json.loads(document)
    return VersionInfo(
        number=int(meta["number"]),
        author=str(meta["author"]),
        created_at=str(meta["created_at"]),
        kind=VersionKind(str(meta["kind"])),
        kb_version=str(meta["kb_version"]),
        articles=int(meta["articles"]),
        added=list(content["added"]),
        changed=list(content["changed"]),
        removed=list(content["removed"]),
        note=str(meta.get("note") or ""),
        answer_thresholds=_thresholds(meta),
    )


def list_versions(client: ClientAPI, name: str) -> list[VersionInfo]:
    """Every version, newest first."""
    got = _collection(client, name).get(include=["metadatas", "documents"])
    infos = [_info(meta, doc) for rid, meta, doc in zip(got["ids"], got["metadatas"], got["documents"]) if rid != HEAD]
    return sorted(infos, key=lambda info: info.number, reverse=True)


def load_manifest(client: ClientAPI, name: str, number: int) -> tuple[VersionInfo, dict[str, str]]:
    """A version and its manifest (article id -> content hash); KeyError if there is no such version."""
    got = _collection(client, name).get(ids=[_record_id(number)], include=["metadatas", "documents"])
    if not got["ids"]:
        raise KeyError(f"there is no version v{number}")
    document = got["documents"][0]
    return _info(got["metadatas"][0], document), dict(json.loads(document)["manifest"])


def record_version(
    client: ClientAPI,
    name: str,
    manifest: dict[str, str],
    kb_version: str,
    author: str,
    kind: VersionKind,
    added: list[str],
    changed: list[str],
    removed: list[str],
    note: str = "",
    answer_thresholds: dict[str, float] | None = None,
) -> VersionInfo:
    """Store a new version and make it the head: from now on the bot answers from it.

    Two publishers racing could take the same number; publishing is an editor's action,
    one at a time in practice (the web pages may add a lock).
    """
    collection = _collection(client, name)
    head = read_head(client, name)
    existing = collection.get(include=[])["ids"]
    number = max([int(rid[1:]) for rid in existing if rid != HEAD] + [head.number if head else 0]) + 1
    info = VersionInfo(
        number=number,
        author=author,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        kind=kind,
        kb_version=kb_version,
        articles=len(manifest),
        added=sorted(added),
        changed=sorted(changed),
        removed=sorted(removed),
        note=note,
        answer_thresholds=dict(sorted((answer_thresholds or {}).items())),
    )
    document = json.dumps(
        {"manifest": dict(sorted(manifest.items())), "added": info.added, "changed": info.changed, "removed": info.removed},
        ensure_ascii=False,
    )
    thresholds = json.dumps(info.answer_thresholds)
    metadata = {
        "number": number, "author": author, "created_at": info.created_at, "kind": kind.value,
        "kb_version": kb_version, "articles": len(manifest), "note": note,
        "added": len(added), "changed": len(changed), "removed": len(removed), "answer_thresholds": thresholds,
    }
    collection.add(ids=[_record_id(number)], embeddings=[_NO_VECTOR], documents=[document], metadatas=[metadata])
    collection.upsert(ids=[HEAD], embeddings=[_NO_VECTOR], documents=[""],
                      metadatas=[{"number": number, "kb_version": kb_version, "answer_thresholds": thresholds}])
    return info
