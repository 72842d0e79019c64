"""The demo account `make run` makes on a first run (advisor, editor, supervisor and reviewer, English and
French), so that a hand-over has someone to go to, and the editor, the insights and the review someone to
sign in. Its login and password are kept in
var/demo-agent.txt (mode 600), written for a person to read: "login: demo" and "password: ..." lines."""
from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis

from handoff.agents import get_agent, grant_roles, list_agents, save_agent, verify_password
from knowledge.settings import REPO_ROOT

USERNAME = "demo"
DISPLAY_NAME = "Demo agent"
DEMO_ROLES = ("agent", "editor", "supervisor", "reviewer")
ACCOUNT_FILE = REPO_ROOT / "var" / "demo-agent.txt"
_PASSWORD = re.compile(r"password:\s*(\S+)")


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str | None  # None: the account exists but its password is not known here


def account_file_text(account: DemoAccount) -> str:
    return f"login: {account.username}\npassword: {account.password}\n"


def password_in(path: Path) -> str | None:
    """The password kept in `path`; also read from the file earlier versions wrote, the add-agent
    command's output ("agent demo (Demo agent, en, fr; agent, editor) password: ...")."""
    if not path.is_file():
        return None
    found = _PASSWORD.search(path.read_text())
    return found.group(1) if found else None


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    path.chmod(0o600)  # a file made before, with laxer rights


async def ensure_demo_account(redis: Redis, path: Path = ACCOUNT_FILE) -> DemoAccount | None:
    """The demo account, made if no account exists at all (None when the team has only its own), and
    `path` rewritten to hold its login and password when that password is known and still right."""
    kept = password_in(path)
    agent = await get_agent(redis, USERNAME)
    if agent is None:
        if await list_agents(redis):
            return None
        password = kept or secrets.token_urlsafe(12)  # the same password after var/redis was wiped
        await save_agent(redis, USERNAME, password, DISPLAY_NAME, ["en", "fr"], list(DEMO_ROLES))
    else:
        missing = [role for role in DEMO_ROLES if role not in agent.roles]
        if missing:  # made before these roles existed
            await grant_roles(redis, USERNAME, missing)
        # Someone may have changed it since (add-agent): a stale password is not shown.
        password = kept if kept and await verify_password(redis, USERNAME, kept) else None
    account = DemoAccount(USERNAME, password)
    if password is not None:
        _write_private(path, account_file_text(account))
    return account
