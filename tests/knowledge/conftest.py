"""A small help centre published as v1 once per session (by the CLI, in its own process), copied per test."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge.settings import KnowledgeSettings
from tests.knowledge.helpers import SMALL_KB_FILES, PublishedKb, cli


@pytest.fixture(scope="session")
def _small_kb_v1(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("small-kb-v1")
    folder = root / "kb"
    folder.mkdir()
    for file in SMALL_KB_FILES:
        shutil.copy(file, folder / file.name)
    done = cli("publish", str(folder), "--author", "alice", chroma=root / "chroma")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return folder, root / "chroma"


@pytest.fixture
def small_kb(_small_kb_v1: tuple[Path, Path], tmp_path: Path) -> PublishedKb:
    """Six articles published as v1 by alice, in a Chroma folder of this test's own."""
    folder, chroma = _small_kb_v1
    shutil.copytree(folder, tmp_path / "kb")
    shutil.copytree(chroma, tmp_path / "chroma")
    return PublishedKb(tmp_path / "kb", tmp_path / "chroma", KnowledgeSettings(chroma_path=tmp_path / "chroma"))
