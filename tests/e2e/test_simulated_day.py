"""A small simulated day (ops/simulate_day) through the real stack, once with the insights store on SQLite
and once on the real PostgreSQL: the web app's summary must equal, figure for figure, what the
simulation computed from its own journal.

The stack's web app is stopped meanwhile (its events drained first) and a web app of the test's own runs
against the same Redis, Rasa and action server with a fresh store: every web app drains the one outbox,
so two at once would share the events between their stores."""
from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from handoff.agents import save_agent
from handoff.connection import connect
from knowledge import redis_keys as keys
from knowledge.settings import REPO_ROOT
from ops.simulate_day.__main__ import simulate
from ops.simulate_day.clients import Staff
from ops.simulate_day.compare import read_summary, table
from ops.stack import Stack, free_port
from tests.e2e.handoff_clients import unique

pytestmark = pytest.mark.e2e

CONVERSATIONS = 12
PASSWORD = "correct horse battery"
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
POSTGRES_DATABASE = "insights_sim_test"


@pytest.fixture(scope="module")
def simulator(warm_stack: Stack) -> str:
    """An account that is advisor (English and French), supervisor and reviewer."""
    username = unique("simulator")

    async def create() -> None:
        client = connect(warm_stack.urls["redis"])
        await save_agent(client, username, PASSWORD, "Simulated day", ["en", "fr"], roles=["agent", "supervisor", "reviewer"])
        await client.aclose()

    asyncio.run(create())
    return username


def fresh_postgres() -> str:
    with psycopg.connect(POSTGRES_SERVER, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{POSTGRES_DATABASE}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{POSTGRES_DATABASE}"


@pytest.fixture(params=["sqlite", "postgresql"])
def sim_web(request: pytest.FixtureRequest, warm_stack: Stack, simulator: str, tmp_path: Path) -> Iterator[str]:
    """The test's web app on a fresh store, the stack's own stopped meanwhile (and started again after)."""
    stack = warm_stack
    staff = Staff(stack.urls["web"], simulator, PASSWORD)
    staff.log_in()
    read_summary(staff, "2000-01-01", "2000-01-01")  # the stack's web app has written every event waiting
    staff.close()
    stack.processes["web"].terminate()
    stack.processes["web"].wait(timeout=30)
    # Chats other tests left waiting, and their advisors' presence: the release loop of the test's web app
    # would hand them back to the bot (abandoned) in the middle of the day.
    client = redis.Redis.from_url(stack.urls["redis"])
    client.delete(keys.QUEUE, keys.PRESENCE)
    client.close()
    database_url = f"sqlite:///{tmp_path / 'insights.db'}" if request.param == "sqlite" else fresh_postgres()
    port = free_port()
    name = f"sim-web-{request.param}"
    stack.start(name, [str(REPO_ROOT / ".venv-app/bin/uvicorn"), "handoff.web.main:create_app", "--factory",
                       "--host", "127.0.0.1", "--port", str(port)],
                health=f"http://127.0.0.1:{port}/healthz", env={"DATABASE_URL": database_url})
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        web = stack.processes.pop(name)
        web.terminate()
        web.wait(timeout=30)
        stack.start_again("web")


def test_a_simulated_day_gives_exactly_the_figures_its_journal_counts(sim_web: str, simulator: str, tmp_path: Path) -> None:
    outcome = simulate(sim_web, CONVERSATIONS, simulator, PASSWORD, tmp_path / "journal.jsonl")
    print(table(outcome.rows, outcome.summary))
    assert outcome.mismatches == []
    summary = outcome.summary
    # The day did what it says: both languages, every kind of ending, and something of each figure.
    assert summary["conversations"] == CONVERSATIONS
    assert {record.lang for record in outcome.journal.conversations} == {"en", "fr"}
    assert summary["handovers"] >= 2 and summary["escalations"].get("customer_request", 0) >= 1
    assert summary["tickets"]["opened"] >= 1 and summary["tickets"]["closed"] >= 1
    assert summary["csat"]["count"] >= CONVERSATIONS - 2 and summary["helpful"]["yes"] + summary["helpful"]["no"] >= 1
    assert summary["answer_rate"] and summary["decline_rate"] and summary["conformity"]["reviewed"] >= 1
    assert (tmp_path / "journal.jsonl").read_text().count('"action": "turn"') == sum(
        len(record.turns) for record in outcome.journal.conversations)
