"""python -m ops.simulate_day [--web URL] [--conversations N] [--username U --password P] [--journal PATH]

Drives the running stack through HTTP, then prints the figures it expects beside the web app's summary
for the day, and the mismatches; exit code 1 when there is one. The account (default: `make run`'s demo
account, var/demo-agent.txt) must have the agent, reviewer and supervisor roles and take English and
French chats."""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from knowledge.settings import REPO_ROOT
from ops.demo_account import ACCOUNT_FILE, USERNAME, password_in
from ops.simulate_day.clients import Staff
from ops.simulate_day.compare import compare, read_summary, table
from ops.simulate_day.expected import expected_figures
from ops.simulate_day.journal import Journal
from ops.simulate_day.scenarios import Day


@dataclass(frozen=True)
class Outcome:
    expected: dict[str, Any]
    summary: dict[str, Any]
    rows: list[tuple[str, Any, Any]]
    mismatches: list[str]
    journal: Journal


def _today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


def simulate(web: str, conversations: int, username: str, password: str, journal_path: Path | None = None,
             progress: Callable[[str], None] = print) -> Outcome:
    web = web.rstrip("/")
    staff = Staff(web, username, password)
    staff.log_in()
    first_day = _today()
    before = read_summary(staff, first_day, first_day, progress=progress)
    baseline = before if before["conversations"] else None
    if baseline:
        progress(f"{first_day} already holds {before['conversations']} conversations: comparing what this run adds to the counts")
    journal = Journal(journal_path)
    day = Day(web, staff, journal, progress)
    try:
        for index in range(conversations):
            day.run(index, conversations)
        day.close_tickets()
        day.review(staff)
    finally:
        journal.close()
    summary = read_summary(staff, first_day, _today(), progress=progress)
    staff.close()
    expected = expected_figures(journal)
    rows, mismatches = compare(expected, summary, baseline)
    return Outcome(expected, summary, rows, mismatches, journal)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--web", default=os.environ.get("WEB_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--conversations", type=int, default=24)
    parser.add_argument("--username", default=USERNAME)
    parser.add_argument("--password", default=os.environ.get("SIM_PASSWORD"), help="default: var/demo-agent.txt's")
    parser.add_argument("--journal", type=Path, help="default: var/simulations/day-<UTC time>.jsonl")
    args = parser.parse_args(argv)
    password = args.password or password_in(ACCOUNT_FILE)
    if not password:
        parser.error(f"no password: give --password (or SIM_PASSWORD), or run `make run` once ({ACCOUNT_FILE})")
    journal = args.journal or REPO_ROOT / "var" / "simulations" / f"day-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}.jsonl"
    print(f"simulating {args.conversations} conversations on {args.web}; journal: {journal}", flush=True)
    outcome = simulate(args.web, args.conversations, args.username, password, journal,
                       progress=lambda line: print(line, flush=True))
    print()
    print(table(outcome.rows, outcome.summary))
    print()
    if outcome.mismatches:
        print(f"{len(outcome.mismatches)} mismatches:")
        for line in outcome.mismatches:
            print(f"  {line}")
        return 1
    print(f"every compared figure matches ({len(outcome.rows)} figures)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
