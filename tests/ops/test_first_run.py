"""What `make run` tells a newcomer once it is ready (ops/banner.py) and the demo account it makes
(ops/demo_account.py), on a real Redis."""
from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from redis.asyncio import Redis

from handoff.agents import get_agent, save_agent, verify_password
from handoff.web.main import PAGES as WEB_APP_PAGES
from ops.banner import banner
from ops.demo_account import DemoAccount, ensure_demo_account

WEB = "http://localhost:8000"
RASA = "http://localhost:5005"


def _listed_urls(text: str) -> set[str]:
    return set(re.findall(r"^\s+(http://\S+)", text, re.MULTILINE))


def test_the_banner_lists_every_page_of_the_web_app_and_its_api_docs() -> None:
    pages = [path for path, (file, _, _) in WEB_APP_PAGES.items() if file.endswith(".html")] + ["/docs"]
    listed = _listed_urls(banner(WEB, RASA, DemoAccount("demo", "s3cret-pass")))
    assert {f"{WEB}{path}" for path in pages} <= listed, listed
    assert f"{RASA}/webhooks/rest/webhook" in listed


def test_the_banner_gives_the_demo_login_and_password() -> None:
    text = banner(WEB, RASA, DemoAccount("demo", "s3cret-pass"))
    assert re.search(r"login demo\s+password s3cret-pass", text), text
    assert text.index("Ready.") < text.index("/console")


def test_the_banner_shows_no_stale_password() -> None:
    text = banner(WEB, RASA, DemoAccount("demo", None))
    assert "login demo" in text and "password was changed" in text



@pytest.mark.anyio
async def test_a_first_run_makes_the_demo_account_and_keeps_just_its_login_and_password(
        redis_client: Redis, tmp_path: Path) -> None:
    kept = tmp_path / "var" / "demo-agent.txt"
    account = await ensure_demo_account(redis_client, kept)
    assert account is not None and account.password
    assert kept.read_text() == f"login: demo\npassword: {account.password}\n"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    agent = await verify_password(redis_client, "demo", account.password)
    assert agent is not None and set(agent.roles) >= {"agent", "editor", "supervisor", "reviewer"} and set(agent.languages) == {"en", "fr"}
    assert await ensure_demo_account(redis_client, kept) == account  # the next run: the same account


@pytest.mark.anyio
async def test_the_file_an_earlier_version_wrote_becomes_login_and_password(redis_client: Redis, tmp_path: Path) -> None:
    await save_agent(redis_client, "demo", "old-pass-123", "Demo agent", ["en", "fr"], ["agent"])
    kept = tmp_path / "demo-agent.txt"
    kept.write_text("agent demo (Demo agent, en, fr; agent) password: old-pass-123\n")
    assert await ensure_demo_account(redis_client, kept) == DemoAccount("demo", "old-pass-123")
    assert kept.read_text() == "login: demo\npassword: old-pass-123\n"
    demo = await get_agent(redis_client, "demo")
    assert demo is not None and {"editor", "supervisor", "reviewer"} <= set(demo.roles)  # made before these roles existed


@pytest.mark.anyio
async def test_a_password_changed_since_is_not_shown(redis_client: Redis, tmp_path: Path) -> None:
    await save_agent(redis_client, "demo", "changed-pass", "Demo agent", ["en"], ["agent", "editor"])
    kept = tmp_path / "demo-agent.txt"
    kept.write_text("login: demo\npassword: first-pass-1\n")
    assert await ensure_demo_account(redis_client, kept) == DemoAccount("demo", None)


@pytest.mark.anyio
async def test_no_demo_account_beside_the_teams_own(redis_client: Redis, tmp_path: Path) -> None:
    await save_agent(redis_client, "alice", "alice-pass-1", "Alice", ["en"])
    kept = tmp_path / "demo-agent.txt"
    assert await ensure_demo_account(redis_client, kept) is None
    assert await get_agent(redis_client, "demo") is None and not kept.exists()
