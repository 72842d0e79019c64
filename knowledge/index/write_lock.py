"""One writer of the knowledge base at a time: publish, rollback and ingest all hold this lock.

A file lock beside the Chroma folder (the folder itself is Chroma's). It needs no Redis, so it
covers the command line as well as the content worker, and the operating system releases it
when its holder dies: a crashed publish never leaves the knowledge base locked. With a Chroma
server (CHROMA_HOST) it serialises the writers of this machine. A second writer is refused at
once, told who holds the lock; dry runs and previews only read, and need no lock.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from chromadb.api import ClientAPI
from filelock import FileLock, Timeout

from knowledge.settings import KnowledgeSettings


class PublishInProgress(RuntimeError):
    """Another publish, rollback or ingest is writing the knowledge base: this one was not started."""


def lock_path(chroma_path: Path) -> Path:
    chroma_path = Path(chroma_path).resolve()
    return chroma_path.parent / f".{chroma_path.name}.publish.lock"


def chroma_folder(client: ClientAPI) -> Path:
    """The folder an embedded client writes to; for a Chroma server, the configured one (CHROMA_PATH)."""
    chroma = client.get_settings()
    if chroma.is_persistent and chroma.persist_directory:
        return Path(chroma.persist_directory)
    return KnowledgeSettings().chroma_path


@contextmanager
def write_lock(chroma_path: Path, who: str, what: str) -> Iterator[None]:
    """Held while `what` (publish, rollback, ingest) writes; raises PublishInProgress at once if another holds it."""
    path = lock_path(chroma_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    owner = path.with_suffix(".owner")
    lock = FileLock(path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        try:
            holder = json.loads(owner.read_text(encoding="utf-8"))
            running = f"another {holder['what']} is running by {holder['who']} (process {holder['pid']}, since {holder['since']})"
        except (OSError, ValueError, KeyError):
            running = "another publish, rollback or ingest is running"
        raise PublishInProgress(f"{running}: nothing was published; try again when it has finished") from None
    try:
        owner.write_text(json.dumps({
            "who": who, "what": what, "pid": os.getpid(),
            "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }), encoding="utf-8")
        yield
    finally:
        lock.release()
