"""The live knowledge base the bot answers from: follows the index as it changes."""
from __future__ import annotations

import threading
import time

from chromadb.api import ClientAPI

from knowledge.calibration import CALIBRATION_METHOD, Thresholds
from knowledge.embeddings import make_embeddings
from knowledge.engine import Decision, KnowledgeEngine
from knowledge.settings import KnowledgeSettings
from knowledge.snapshot import load_snapshot, read_version
from knowledge.store import load_calibration, make_client, save_calibration
from knowledge.triggers import load_trigger_examples


def build_engine(client: ClientAPI, settings: KnowledgeSettings) -> KnowledgeEngine:
    """An engine over the index as it is now, calibrating only if this version never was."""
    embeddings = make_embeddings(settings)
    snapshot = load_snapshot(client, settings.collection_name, embeddings)
    key = f"{snapshot.version}-{CALIBRATION_METHOD}-{settings.target_conformity}-{settings.target_escalation_precision}"
    saved = load_calibration(client, settings.collection_name, key)
    thresholds = Thresholds.from_json(saved) if saved else None
    engine = KnowledgeEngine(snapshot, load_trigger_examples(), embeddings, settings, thresholds)
    if saved is None and not snapshot.is_empty:
        save_calibration(client, settings.collection_name, key, engine.thresholds.to_json())
    return engine


class KnowledgeService:
    """Thread-safe holder of the current engine; rebuilt when a publish changes the index."""

    def __init__(self, settings: KnowledgeSettings | None = None, client: ClientAPI | None = None,
                 check_every_s: float = 2.0) -> None:
        self.settings = settings or KnowledgeSettings()
        self._client = client or make_client(self.settings)
        self._check_every_s = check_every_s
        self._lock = threading.Lock()
        self._engine = build_engine(self._client, self.settings)
        self._checked_at = time.monotonic()

    def engine(self) -> KnowledgeEngine:
        if time.monotonic() - self._checked_at < self._check_every_s:
            return self._engine
        with self._lock:
            self._checked_at = time.monotonic()
            version = read_version(self._client, self.settings.collection_name, make_embeddings(self.settings))
            if version != self._engine.snapshot.version:
                self._engine = build_engine(self._client, self.settings)
        return self._engine

    def decide(self, question: str, lang: str | None = None) -> Decision:
        return self.engine().decide(question, lang)
