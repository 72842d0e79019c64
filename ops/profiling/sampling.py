"""Profiles taken while a benchmark phase runs: py-spy on several processes at once (ops/profiling/pyspy.py)."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ops.profiling.pyspy import read_profile, record

TOP = 15


@asynccontextmanager
async def profile_during(pids: dict[str, int], seconds: float, folder: Path) -> AsyncIterator[dict[str, Any]]:
    """Samples each process (name -> pid) for `seconds` from entering the block; on leaving, fills the dict
    yielded with each one's top items (or its error). Nothing is sampled when `pids` is empty or seconds is 0."""
    profiles: dict[str, Any] = {}
    if not pids or seconds <= 0:
        yield profiles
        return
    recordings = {name: (record(pid, seconds, folder / f"{name}.txt"), folder / f"{name}.txt") for name, pid in pids.items()}
    try:
        yield profiles
    finally:
        for name, (process, collapsed) in recordings.items():
            _, errors = await asyncio.to_thread(process.communicate)
            if process.returncode or not collapsed.exists():
                profiles[name] = {"error": f"py-spy exited with {process.returncode}: {errors.strip()[-300:]}"}
                continue
            profile = read_profile(collapsed, TOP)
            profiles[name] = {"stacks": str(collapsed), "samples": profile.samples,
                              "self": [asdict(item) for item in profile.own], "inclusive": [asdict(item) for item in profile.within]}
