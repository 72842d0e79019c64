"""The answering actions under test, over the sample help centre and the test's Redis (anyio and
redis_client come from tests/conftest.py)."""
from __future__ import annotations

import pytest
from redis.asyncio import Redis

from actions.answering import ActionAnswerQuestion, ActionHandOver
from handoff.settings import HandoffSettings
from knowledge.answering.sensitive_topics import SensitiveTopicsFile
from knowledge.answering.service import KnowledgeService
from knowledge.settings import SENSITIVE_TOPICS


@pytest.fixture
def answer(sample_service: KnowledgeService, redis_client: Redis) -> ActionAnswerQuestion:
    return ActionAnswerQuestion(sample_service, SensitiveTopicsFile(SENSITIVE_TOPICS), redis_client, HandoffSettings())


@pytest.fixture
def hand_over(sample_service: KnowledgeService, redis_client: Redis) -> ActionHandOver:
    return ActionHandOver(sample_service, SensitiveTopicsFile(SENSITIVE_TOPICS), redis_client, HandoffSettings())
