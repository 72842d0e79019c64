"""The steering pages as the web app serves them: /insights and /review under the staff pages' policy, the
chart library from the app itself, and the account routes a supervisor or reviewer who is no advisor uses."""
from __future__ import annotations

import re

import httpx
import pytest
from redis.asyncio import Redis

from handoff.agents import save_agent
from tests.handoff.conftest import PASSWORD

pytestmark = pytest.mark.anyio


async def test_the_pages_are_served_like_the_editor_and_load_only_the_apps_own_scripts(web: httpx.AsyncClient) -> None:
    for path, script in (("/insights", "/static/insights.js"), ("/review", "/static/review.js")):
        page = await web.get(path)
        assert page.status_code == 200
        assert page.headers["content-security-policy"] == (await web.get("/editor")).headers["content-security-policy"]
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        scripts = re.findall(r'<script src="([^"]+)"', page.text)
        assert script in scripts and all(src.startswith("/static/") for src in scripts), scripts
        for src in scripts:
            assert (await web.get(src)).status_code == 200, src
    chart = await web.get("/static/vendor/chart.umd.min.js")
    assert chart.text.startswith("/*!\n * Chart.js v4.")
    assert (await web.get("/static/vendor/chart.js-LICENSE.md")).text.startswith("The MIT License")


async def test_the_account_routes_need_a_session_not_a_role(web: httpx.AsyncClient, redis_client: Redis) -> None:
    assert (await web.get("/api/staff/me")).status_code == 401
    await save_agent(redis_client, "sam", PASSWORD, "Sam", ["en"], ["supervisor"])
    login = await web.post("/api/agent/login", json={"username": "sam", "password": PASSWORD})
    token = {"Authorization": f"Bearer {login.json()['token']}"}
    me = await web.get("/api/staff/me", headers=token)
    assert me.json() == {"username": "sam", "display_name": "Sam", "languages": ["en"], "roles": ["supervisor"]}
    assert (await web.post("/api/agent/logout", headers=token)).status_code == 403  # the advisors' log-out
    assert (await web.post("/api/staff/logout", headers=token)).status_code == 204
    assert (await web.get("/api/staff/me", headers=token)).status_code == 401


async def test_logging_out_from_another_site_is_refused(web: httpx.AsyncClient, redis_client: Redis) -> None:
    await save_agent(redis_client, "rita", PASSWORD, "Rita", ["fr"], ["reviewer"])
    await web.post("/api/agent/login", json={"username": "rita", "password": PASSWORD})  # the cookie, kept by the client
    refused = await web.post("/api/staff/logout", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert (await web.get("/api/staff/me")).json()["roles"] == ["reviewer"]
