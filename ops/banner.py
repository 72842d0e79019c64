"""What the person at the terminal reads once `make run` answers: every page, where to sign in, how to stop.

    python -m ops.banner    (ops/announce.sh runs it; WEB_PORT and RASA_PORT as in the Procfile)
"""
from __future__ import annotations

import asyncio
import os

from handoff.connection import connect
from handoff.settings import HandoffSettings
from ops.demo_account import ACCOUNT_FILE, DemoAccount, ensure_demo_account
from knowledge.settings import REPO_ROOT

# Every page of the web app (handoff/web/main.py: PAGES, and FastAPI's /docs), in the order a newcomer tries them.
PAGES = {
    "/": "Chat with the bot",
    "/demo": "Demo company site with the chat widget (?lang=fr in French)",
    "/demo/returning": "The same, signed in as a returning customer (advisors see their earlier chats)",
    "/console": "Advisor console: hand-overs from the bot",
    "/editor": "Help-centre editor",
    "/docs": "Web app API (OpenAPI)",
}


def banner(web_url: str, rasa_url: str, account: DemoAccount | None) -> str:
    """The whole banner, one string: honcho prints it in one piece, and "Ready." comes with the rest."""
    rasa_channel = f"{rasa_url}/webhooks/rest/webhook"
    urls = {f"{web_url}{path}": title for path, title in PAGES.items()} | {rasa_channel: "Rasa REST channel (curl)"}
    width = max(len(url) for url in urls) + 3
    lines = ["", "  Ready."]
    lines += [f"  {url.ljust(width)}{title}" for url, title in urls.items()]
    lines.append("")
    lines += _sign_in(account)
    lines += ["  Stop everything with Ctrl-C.", ""]
    return "\n".join(lines)


def _sign_in(account: DemoAccount | None) -> list[str]:
    kept = ACCOUNT_FILE.relative_to(REPO_ROOT)
    if account is None:
        return ["  Console and editor: sign in with one of your accounts (python -m handoff agents lists them)."]
    if account.password is None:
        return [f"  Console and editor: login {account.username}; its password was changed and is not in {kept}",
                f"  (set a new one: AGENT_PASSWORD=... python -m handoff add-agent {account.username} --roles agent,editor)."]
    return [f"  Console and editor:  login {account.username}   password {account.password}   (kept in {kept})"]


async def _demo_account(redis_url: str) -> DemoAccount | None:
    redis = connect(redis_url)
    try:
        return await ensure_demo_account(redis)
    finally:
        await redis.aclose()


def main() -> None:
    settings = HandoffSettings()
    account = asyncio.run(_demo_account(settings.redis_url))
    web_url = f"http://localhost:{os.environ.get('WEB_PORT', '8000')}"
    rasa_url = f"http://localhost:{os.environ.get('RASA_PORT', '5005')}"
    print(banner(web_url, rasa_url, account), flush=True)


if __name__ == "__main__":
    main()
