"""Insights tests: the SQL store on SQLite (a file per test) and on the real PostgreSQL (127.0.0.1:5432,
database `insights_tests`, made if missing, its tables dropped before each test)."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from handoff.insights.store import make_engine, metadata

POSTGRES_SERVER = os.environ.get("INSIGHTS_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
POSTGRES_DATABASE = "insights_tests"
POSTGRES_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{POSTGRES_DATABASE}"
# Nothing listens there: the store "down".
CLOSED_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:9/insights_tests"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    with psycopg.connect(POSTGRES_SERVER, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (POSTGRES_DATABASE,)).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{POSTGRES_DATABASE}"')
    return POSTGRES_URL


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'insights.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    metadata.drop_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    made = make_engine(database_url)
    yield made
    made.dispose()
