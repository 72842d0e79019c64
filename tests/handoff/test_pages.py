"""The web app's pages as a newcomer's browser gets them: an icon for every page (no 404 on
/favicon.ico), and the demo company page in the visitor's language, numbers and units included."""
from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import async_playwright

from tests.e2e.browser import CHROMIUM
from tests.security.conftest import ServedWeb, served_web  # noqa: F401  (the fixture, shared)

pytestmark = pytest.mark.anyio
PAGES = ("/", "/demo", "/console", "/editor")


async def test_favicon_ico_is_an_icon(web: httpx.AsyncClient) -> None:
    icon = await web.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # the ICO file signature


async def test_every_page_names_an_icon_that_is_served(web: httpx.AsyncClient) -> None:
    for path in PAGES:
        page = (await web.get(path)).text
        found = re.search(r'<link rel="icon" href="([^"]+)"', page)
        assert found, path
        assert (await web.get(found.group(1))).status_code == 200, (path, found.group(1))


@pytest.mark.browser
@pytest.mark.parametrize(("lang", "shown", "hidden"), [
    ("fr", ["4,99 € / mois", "12,99 € / mois", "20 Go", "150 Go · 5G"], ["€4.99", "GB", "month"]),
    ("en", ["€4.99 / month", "€24.99 / month", "20 GB", "150 GB · 5G"], ["4,99 €", "Go ", "mois"]),
])
async def test_the_demo_page_shows_prices_and_data_in_the_visitors_language(
        served_web: ServedWeb, lang: str, shown: list[str], hidden: list[str]) -> None:  # noqa: F811
    async with served_web() as url, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = await browser.new_page()
            failed: list[str] = []
            page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
            await page.goto(f"{url}/demo?lang={lang}")
            visible = re.sub(r"\s+", " ", await page.inner_text("main"))
            await page.goto(f"{url}/favicon.ico")  # what a browser asks for by itself
        finally:
            await browser.close()
    assert [text for text in shown if text not in visible] == [], visible
    assert [text for text in hidden if text in visible] == [], visible
    assert failed == []
