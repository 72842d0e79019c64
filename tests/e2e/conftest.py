from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ops.stack import Stack, start_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, sample_index_path: Path) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("stack"), sample_index_path)
    yield running
    running.stop()
