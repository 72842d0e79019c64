"""The chat model behind every optional LLM text (generated answers, hand-over summaries): an
OpenAI-compatible chat server at LLM_BASE_URL, or none when it is not set."""
from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
from pydantic import SecretStr

from knowledge.settings import KnowledgeSettings

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI


def chat_model(settings: KnowledgeSettings, http_async_client: httpx.AsyncClient | None = None) -> ChatOpenAI | None:
    """The configured chat model, None without LLM_BASE_URL. One try per call within LLM_TIMEOUT_S: every
    caller has a fallback, which serves the customer or advisor better than waiting for a retry.
    `http_async_client`: the caller's connection pool for `ainvoke` (the web app's)."""
    if not settings.llm_base_url:
        return None
    # Imported here: the web app without an LLM does not load LangChain's OpenAI client (1.2 s at start).
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.llm_base_url,
        api_key=SecretStr(settings.llm_api_key),
        model=settings.llm_model,
        timeout=settings.llm_timeout_s,
        max_retries=0,
        temperature=0,
        http_async_client=http_async_client,
    )
