"""What the publishing and unanswered-question tests share: the CLI, a small help centre, an article."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from chromadb.api import ClientAPI

from knowledge.settings import REPO_ROOT, SAMPLE_KB, KnowledgeSettings
from knowledge.store import make_client

# Six English articles of the sample help centre: enough for the classifier and its
# calibration to answer their own question variants, small enough to recalibrate quickly.
SMALL_KB_FILES = sorted((SAMPLE_KB / "en").glob("*.md"))[:6]

GIFT_CARDS_ID = "lumen/gift-cards-en"
GIFT_CARDS_MD = f"""---
id: {GIFT_CARDS_ID}
title: "Gift cards"
lang: en
questions:
  - "can I pay with a gift card"
  - "how do I use my gift card online"
  - "gift card balance"
  - "my gift card expired"
---
Gift cards are valid for 12 months from purchase and can be used online and in our shops.
"""


def cli(*args: str, chroma: Path, redis_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHROMA_PATH": str(chroma), "PYTHONPATH": str(REPO_ROOT)}
    env.pop("CHROMA_HOST", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return subprocess.run([sys.executable, "-m", "knowledge", *args], capture_output=True, text=True, env=env, timeout=900)


@dataclass(frozen=True)
class PublishedKb:
    """A knowledge base published as v1 (see tests/knowledge/conftest.py: small_kb)."""

    folder: Path  # the articles as published, to edit
    chroma: Path
    settings: KnowledgeSettings

    @property
    def client(self) -> ClientAPI:
        return make_client(self.settings)
