"""The long-lived objects actions use, created once per action-server process.

Actions take them as constructor arguments (tests hand in their own) and fall back on the
process-wide ones built here; rasa-sdk builds actions without arguments.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from functools import lru_cache

from rasa_sdk import Action
from redis import Redis as SyncRedis
from redis.asyncio import Redis

from handoff.connection import CONNECT_TIMEOUT_S, connect
from handoff.settings import HandoffSettings
from knowledge.answering.sensitive_topics import SensitiveTopicsFile
from knowledge.answering.service import KnowledgeService
from knowledge.answering.serving import watch


@lru_cache(maxsize=1)
def handoff_settings() -> HandoffSettings:
    """The action server's one settings object (knowledge and handoff fields)."""
    return HandoffSettings()


@lru_cache(maxsize=1)
def knowledge_service() -> KnowledgeService:
    """The process's knowledge base, with the watcher that loads each published version at once and
    tells the editor pages which one the bot answers from (knowledge/answering/serving.py)."""
    service = KnowledgeService(handoff_settings())
    watch(service, SyncRedis.from_url(handoff_settings().redis_url, socket_connect_timeout=CONNECT_TIMEOUT_S,
                                      socket_timeout=5))
    return service


@lru_cache(maxsize=1)
def sensitive_topics() -> SensitiveTopicsFile:
    return SensitiveTopicsFile(handoff_settings().sensitive_topics_path)


@lru_cache(maxsize=1)
def handoff_redis() -> Redis:
    """The handoff Redis (REDIS_URL): agent presence and tickets."""
    return connect(handoff_settings().redis_url)


class CollaboratingAction(Action, ABC):
    """An action with its collaborators; abstract, so that rasa-sdk's package scan skips it."""

    def __init__(
        self,
        service: KnowledgeService | None = None,
        topics: SensitiveTopicsFile | None = None,
        redis: Redis | None = None,
        settings: HandoffSettings | None = None,
    ) -> None:
        self._service = service
        self._topics = topics
        self._redis = redis
        self._settings = settings

    @abstractmethod
    def name(self) -> str: ...

    @property
    def service(self) -> KnowledgeService:
        return self._service or knowledge_service()

    @property
    def topics(self) -> SensitiveTopicsFile:
        return self._topics or sensitive_topics()

    @property
    def redis(self) -> Redis:
        return self._redis if self._redis is not None else handoff_redis()

    @property
    def handoff_settings(self) -> HandoffSettings:
        return self._settings or handoff_settings()
