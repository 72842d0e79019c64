"""A small help centre published as v1 once per session (tests/conftest.py: small_kb_v1), copied per test."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge.settings import KnowledgeSettings
from tests.knowledge.helpers import PublishedKb


@pytest.fixture
def small_kb(small_kb_v1: tuple[Path, Path], tmp_path: Path) -> PublishedKb:
    """Six articles published as v1 by alice, in a Chroma folder of this test's own."""
    folder, chroma = small_kb_v1
    shutil.copytree(folder, tmp_path / "kb")
    shutil.copytree(chroma, tmp_path / "chroma")
    return PublishedKb(tmp_path / "kb", tmp_path / "chroma", KnowledgeSettings(chroma_path=tmp_path / "chroma"))
