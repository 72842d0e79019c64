"""All knowledge-base settings in one place, read from the environment."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_KB = REPO_ROOT / "knowledge" / "sample_kb"
NLU_DATA = REPO_ROOT / "bot" / "data" / "nlu"
SENSITIVE_TOPICS = REPO_ROOT / "knowledge" / "sensitive_topics.yml"
SAMPLE_REVIEWED = REPO_ROOT / "knowledge" / "sample_queries" / "dev.jsonl"


class KnowledgeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    # multilingual-e5-small (the default, when empty), use-multilingual, all-MiniLM-L6-v2 (English
    # only), or any sentence-transformers model name or folder: see knowledge/embeddings.py.
    embedding_model: str = ""
    # Question vectors kept in memory (an LRU by text); 0 embeds every question afresh.
    embedding_cache_size: int = Field(default=4096, ge=0)
    # Threads of the embedding model; 0 leaves the runtime's default (one per core). One is
    # faster on a loaded machine: measured 40-53 ms a question instead of 250-390 ms with two (MiniLM).
    embedding_threads: int = Field(default=1, ge=0)
    chroma_path: Path = REPO_ROOT / "var" / "chroma"
    chroma_host: str | None = None
    chroma_port: int = 8000
    collection_name: str = "helpcentre"
    # Share of answers that must come from the right article; thresholds are calibrated to it.
    target_conformity: float = 0.97
    # Customer questions labelled by a person (shared/eval query format); when most of them name
    # articles of the base, thresholds are refitted on them (knowledge/answering/reviewed.py).
    # The default is the sample help centre's: ignored by any other base.
    reviewed_questions_path: Path | None = SAMPLE_REVIEWED
    # Share of escalations (sensitive topic, request for a person) that must be right.
    target_escalation_precision: float = 0.80
    llm_base_url: str | None = None
    llm_api_key: str = "not-needed"
    llm_model: str = "gpt-4o-mini"
    llm_timeout_s: float = 8.0
    default_language: str = "en"
    max_question_chars: int = 2000
    # Topics an advisor handles whatever the help centre says; the content team edits the
    # file, the action server reloads it when it changes (SENSITIVE_TOPICS_PATH).
    sensitive_topics_path: Path = SENSITIVE_TOPICS
    # The Redis of the handoff and of the content team's unanswered-questions stream.
    redis_url: str = "redis://127.0.0.1:6380/0"
    # Questions closer than this (cosine distance) fall in one cluster of unanswered questions:
    # near-paraphrases sit at 0.12-0.48, different intents of one domain at 0.61-0.49 and up.
    unanswered_cluster_distance: float = 0.55
    # Unanswered questions (they quote customers) older than this leave the content team's list.
    unanswered_retention_s: int = Field(default=90 * 24 * 3600, gt=0)
    # Share of the articles that may change (added, changed, removed, summed over publishes)
    # while the thresholds of the last calibration are kept; above it a publish recalibrates.
    recalibrate_share: float = 0.05
    # The content team's shared draft workspace (one folder per collection below it).
    editor_drafts_path: Path = REPO_ROOT / "var" / "drafts"
    editor_max_upload_bytes: int = 16 * 1024 * 1024
