"""The stack a benchmark drives: a fresh one on the sample help centre (ops/stack.py), or one already
running; and the peak memory of its processes."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from knowledge.settings import REPO_ROOT, SAMPLE_KB
from ops.stack import Stack, start_stack

DEFAULT_REDIS_URL = "redis://127.0.0.1:6380/0"


@dataclass(frozen=True)
class BenchStack:
    web: str
    redis_url: str
    rasa: str | None  # Rasa's own URL, for the floor without the web app in front
    stack: Stack | None  # None when the benchmark drives a stack it did not start

    def pids(self) -> dict[str, int]:
        return {name: process.pid for name, process in self.stack.processes.items()} if self.stack else {}


@contextmanager
def bench_stack(web: str | None = None, redis_url: str | None = None, extra_env: dict[str, str] | None = None,
                kb: Path = SAMPLE_KB, rasa: str | None = None) -> Iterator[BenchStack]:
    if web:
        yield BenchStack(web, redis_url or DEFAULT_REDIS_URL, rasa, None)
        return
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    chroma = workdir / "chroma"
    env = {**os.environ, "CHROMA_PATH": str(chroma), "PYTHONPATH": str(REPO_ROOT), **(extra_env or {})}
    print(f"indexing {kb} into {chroma}", flush=True)
    # In a child process: the benchmark itself then never loads the embedding model.
    subprocess.run([sys.executable, "-m", "knowledge", "ingest", str(kb)], cwd=REPO_ROOT, env=env, check=True)
    print(f"starting Redis, the action server, Rasa and the web app (about 2 minutes; logs in {workdir})", flush=True)
    saved = dict(os.environ)
    os.environ.update(extra_env or {})
    try:
        stack = start_stack(workdir, chroma)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        yield BenchStack(stack.urls["web"], stack.urls["redis"], stack.urls["rasa"], stack)
    finally:
        stack.stop()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _high_water_kb(pid: int) -> int:
    """VmHWM: the most resident memory the process ever had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def peak_memory_mb(pids: dict[str, int]) -> dict[str, float]:
    """Peak resident memory of each process, its child processes added (their peaks may not coincide,
    so for a process with children this is an upper bound)."""
    peaks = {}
    for name, pid in pids.items():
        try:
            family = [pid]
            for member in family:
                family += _children(member)
            peaks[name] = round(sum(_high_water_kb(member) for member in family) / 1024, 1)
        except OSError:
            continue  # the process has exited
    return peaks
