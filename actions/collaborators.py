"""The long-lived objects actions use, created once per action-server process."""
from __future__ import annotations

from functools import lru_cache

from knowledge.service import KnowledgeService


@lru_cache(maxsize=1)
def knowledge_service() -> KnowledgeService:
    return KnowledgeService()
