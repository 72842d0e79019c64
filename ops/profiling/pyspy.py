"""py-spy attached to a running Python process: a sampled profile as collapsed stacks, and its top items.

    .venv-app/bin/python -m ops.profiling.pyspy --pid 1234 [--seconds 30] [--top 15] [--out profile.txt]

py-spy (requirements/app.in) reads another interpreter's memory, so the .venv-app binary also profiles
Rasa's Python 3.10. Samples are taken without pausing the process (--nonblocking): the profile costs the
process measured almost nothing. Idle threads (an event loop waiting for work) are left out, so the
shares are of the time the process spends running Python.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

PY_SPY = Path(sys.executable).with_name("py-spy")


def record(pid: int, seconds: float, out: Path, rate: int = 100) -> subprocess.Popen:
    """Starts sampling `pid` for `seconds` into `out` (collapsed stacks); wait on the process returned."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [str(PY_SPY), "record", "--pid", str(pid), "--duration", str(max(int(seconds), 1)), "--rate", str(rate),
         "--format", "raw", "--nonblocking", "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )


@dataclass(frozen=True)
class TopItem:
    function: str  # "name (file)"
    share: float  # of all samples


@dataclass(frozen=True)
class Profile:
    samples: int
    own: list[TopItem]  # where the samples were taken (self time)
    within: list[TopItem]  # functions on the stack (inclusive time)

    def summary(self, title: str) -> str:
        lines = [f"{title}: {self.samples} samples", "  self time:"]
        lines += [f"    {item.share:6.1%}  {item.function}" for item in self.own]
        lines.append("  on the stack (inclusive):")
        lines += [f"    {item.share:6.1%}  {item.function}" for item in self.within]
        return "\n".join(lines)


def _function(frame: str) -> str:
    """'decide (knowledge/answering/engine.py:266)' -> 'decide (knowledge/answering/engine.py)'."""
    name, _, where = frame.rpartition(" (")
    return f"{name} ({where.rsplit(':', 1)[0].rstrip(')')})" if name else frame


def read_profile(collapsed: Path, top: int = 15) -> Profile:
    """The top items of a collapsed-stacks file ("frame;frame;... count" per line, outermost first)."""
    own: Counter[str] = Counter()
    within: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text(encoding="utf-8").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        # The first frame names the thread ("process 12:\"MainThread\""): not a function.
        frames = [_function(frame) for frame in stack.split(";")[1:]] or ["(no Python frame)"]
        total += count
        own[frames[-1]] += count
        for function in set(frames):
            within[function] += count

    def items(counter: Counter[str]) -> list[TopItem]:
        return [TopItem(function, count / total) for function, count in counter.most_common(top)] if total else []

    return Profile(total, items(own), items(within))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pid", type=int, help="the process to sample (else --read a recorded file)")
    parser.add_argument("--read", type=Path, help="summarise a collapsed-stacks file already recorded")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--out", type=Path, default=Path("var/profiles/profile.txt"))
    args = parser.parse_args(argv)
    if (args.pid is None) == (args.read is None):
        parser.error("give --pid or --read")
    collapsed = args.read or args.out
    if args.pid is not None:
        recording = record(args.pid, args.seconds, collapsed)
        _, errors = recording.communicate()
        if recording.returncode:
            sys.exit(f"py-spy failed ({recording.returncode}): {errors.strip()}")
    print(read_profile(collapsed, args.top).summary(str(collapsed)))


if __name__ == "__main__":
    main()
