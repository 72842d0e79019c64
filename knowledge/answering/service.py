"""The live knowledge base the bot answers from: follows the published version as it changes."""
from __future__ import annotations

import base64
import io
import json
import logging
import threading
import time
from dataclasses import asdict, dataclass

import numpy as np
from chromadb.api import ClientAPI

from knowledge.answering.calibration import CALIBRATION_METHOD, Thresholds
from knowledge.embeddings import make_embeddings, model_tag
from knowledge.answering.engine import KnowledgeEngine
from knowledge.answering.matching import LinearWeights
from knowledge.contract import Decision
from knowledge.settings import KnowledgeSettings
from knowledge.index.snapshot import KnowledgeSnapshot, load_snapshot, read_version
from knowledge.index.versions import read_head
from knowledge.store import load_calibration, make_client, save_calibration
from knowledge.answering.reviewed import file_fingerprint
from knowledge.answering.triggers import load_matcher_examples

logger = logging.getLogger(__name__)


def calibration_key(snapshot_version: str, settings: KnowledgeSettings) -> str:
    return (
        f"{snapshot_version}-{CALIBRATION_METHOD}-{model_tag(settings)}-{file_fingerprint(settings.reviewed_questions_path)}"
        f"-{settings.target_conformity}-{settings.target_escalation_precision}"
    )


@dataclass(frozen=True)
class Lineage:
    """Where a version's thresholds come from: calibrated on it, or carried over from an ancestor.

    A small publish keeps the live thresholds instead of recalibrating (minutes to half an
    hour on hundreds of documents); the articles changed since the last real calibration add
    up, and once they pass the allowed share the next publish calibrates afresh. Thresholds
    stored for a version are never rewritten, so a rollback answers exactly as that version did.
    """

    calibrated_on: str  # the knowledge-base version whose held-out questions chose the thresholds
    articles_changed: int  # articles added, changed or removed since that calibration

    @property
    def inherited(self) -> bool:
        return self.articles_changed > 0


def _lineage_id(key: str) -> str:
    return f"{key}#lineage"


def load_lineage(client: ClientAPI, settings: KnowledgeSettings, snapshot_version: str) -> Lineage | None:
    """The lineage of a calibrated version (None if it was never calibrated)."""
    key = calibration_key(snapshot_version, settings)
    if load_calibration(client, settings.collection_name, key) is None:
        return None
    saved = load_calibration(client, settings.collection_name, _lineage_id(key))
    return Lineage(**json.loads(saved)) if saved else Lineage(snapshot_version, 0)


def inherit_thresholds(
    client: ClientAPI, settings: KnowledgeSettings, snapshot_version: str, parent_version: str, articles_changed: int,
    max_share: float, articles: int,
) -> Lineage | None:
    """Store the parent version's thresholds as this version's when few enough articles changed
    since the parent's were calibrated; None (nothing stored) when it must be calibrated."""
    name = settings.collection_name
    if load_calibration(client, name, calibration_key(snapshot_version, settings)) is not None:
        return load_lineage(client, settings, snapshot_version)
    parent = load_lineage(client, settings, parent_version)
    if parent is None or articles_changed <= 0:
        return None
    lineage = Lineage(parent.calibrated_on, parent.articles_changed + articles_changed)
    if lineage.articles_changed > int(max_share * articles):
        return None
    thresholds = load_calibration(client, name, calibration_key(parent_version, settings))
    assert thresholds is not None  # load_lineage found it
    key = calibration_key(snapshot_version, settings)
    # Lineage first: thresholds without it would read as calibrated on this version.
    save_calibration(client, name, _lineage_id(key), json.dumps(asdict(lineage)))
    save_calibration(client, name, key, thresholds)
    return lineage


class StoredFits:
    """Linear classifiers' weights kept beside the thresholds in Chroma: the process that calibrates a version
    (ingest, the content worker) fits them, and the action servers load them rather than fit again."""

    def __init__(self, client: ClientAPI, collection_name: str) -> None:
        self._client = client
        self._name = collection_name

    def load(self, key: str) -> LinearWeights | None:
        saved = load_calibration(self._client, self._name, f"linear-{key}")
        if saved is None:
            return None
        with np.load(io.BytesIO(base64.b64decode(saved)), allow_pickle=False) as arrays:
            over_rows = bool(arrays["over_rows"]) if "over_rows" in arrays.files else False
            return LinearWeights(arrays["classes"], arrays["coef"], arrays["intercept"], over_rows)

    def save(self, key: str, weights: LinearWeights) -> None:
        buffer = io.BytesIO()
        np.savez(buffer, classes=weights.classes, coef=weights.coef, intercept=weights.intercept,
                 over_rows=np.array(weights.over_rows))
        save_calibration(self._client, self._name, f"linear-{key}", base64.b64encode(buffer.getvalue()).decode("ascii"))


def engine_for(snapshot: KnowledgeSnapshot, client: ClientAPI, settings: KnowledgeSettings,
               borrowed: Thresholds | None = None, answer_thresholds: dict[str, float] | None = None) -> KnowledgeEngine:
    """An engine over this snapshot, calibrating only if its version never was (then saved).

    borrowed: thresholds to use, unsaved, when this version has none stored (a preview borrows the
    live version's rather than calibrating a draft: seconds instead of a minute).
    answer_thresholds: those a knowledge-base version sets from reviewed answers, over the calibrated
    ones (never saved with them: the calibration of the same articles stays what it was)."""
    embeddings = make_embeddings(settings)
    key = calibration_key(snapshot.version, settings)
    saved = load_calibration(client, settings.collection_name, key)
    thresholds = Thresholds.from_json(saved) if saved else borrowed
    engine = KnowledgeEngine(snapshot, load_matcher_examples(), embeddings, settings, thresholds,
                             StoredFits(client, settings.collection_name))
    if saved is None and borrowed is None and not snapshot.is_empty:
        save_calibration(client, settings.collection_name, _lineage_id(key), json.dumps(asdict(Lineage(snapshot.version, 0))))
        save_calibration(client, settings.collection_name, key, engine.thresholds.to_json())
    if answer_thresholds:
        engine.thresholds = engine.thresholds.with_answer_thresholds(answer_thresholds)
    return engine


def build_engine(client: ClientAPI, settings: KnowledgeSettings) -> KnowledgeEngine:
    """An engine over the published version as it is now, with the answer thresholds it sets."""
    head = read_head(client, settings.collection_name)
    return engine_for(load_snapshot(client, settings.collection_name), client, settings,
                      answer_thresholds=head.answer_thresholds if head else None)


class KnowledgeService:
    """Thread-safe holder of the current engine; rebuilt when a publish or rollback moves the version.

    The new version's engine is built in a background thread: until it is ready, questions
    are answered from the previous one, so the action server's event loop never waits on it.
    """

    def __init__(self, settings: KnowledgeSettings | None = None, client: ClientAPI | None = None,
                 check_every_s: float = 2.0) -> None:
        self.settings = settings or KnowledgeSettings()
        self._client = client or make_client(self.settings)
        self._check_every_s = check_every_s
        self._lock = threading.Lock()
        self._loading: threading.Thread | None = None
        # Read before loading: a publish in between is then seen at the next check.
        self._seen = self._read_version()
        self._engine = build_engine(self._client, self.settings)
        self._checked_at = time.monotonic()

    def _read_version(self) -> str:
        return read_version(self._client, self.settings.collection_name)

    def engine(self) -> KnowledgeEngine:
        if time.monotonic() - self._checked_at < self._check_every_s:
            return self._engine
        with self._lock:
            if time.monotonic() - self._checked_at < self._check_every_s:
                return self._engine
            self._checked_at = time.monotonic()
            if self._loading is not None and self._loading.is_alive():
                return self._engine
            version = self._read_version()
            if version != self._seen:
                self._loading = threading.Thread(target=self._load, args=(version,), name="knowledge-load", daemon=True)
                self._loading.start()
        return self._engine

    def latest_engine(self) -> KnowledgeEngine:
        """The engine of the version live right now, loaded first if it is new.

        Blocks while loading: for previews and tools, never on the bot's reply path.
        """
        with self._lock:
            loading = self._loading
        if loading is not None:
            loading.join()
        version = self._read_version()
        if version != self._seen:
            self._load(version)
        return self._engine

    @property
    def answering_version(self) -> str:
        """What the engine answering now was built from (Head.answering: the articles' version and the answer
        thresholds set on it), or an older one."""
        with self._lock:
            return self._seen

    def _load(self, version: str) -> None:
        started = time.perf_counter()
        try:
            engine = build_engine(self._client, self.settings)
        except Exception:  # keep answering from the version we have; try again at the next check
            logger.exception("could not load knowledge-base version %s; still answering from the previous one", version)
            return
        with self._lock:
            self._engine, self._seen = engine, version
        logger.info("answering from knowledge-base version %s (loaded in %.1fs)", version, time.perf_counter() - started)

    def decide(self, question: str, lang: str | None = None) -> Decision:
        return self.engine().decide(question, lang)
