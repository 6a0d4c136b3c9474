"""A real headless Chromium on the hosting-safety parts of the pages: the Web SDK page's redirect check."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from simulator.settings import Settings
from simulator.testing_server import CHROMIUM, CHROMIUM_ARGS, ThreadedSimulator, simulator_in_thread

if not CHROMIUM.exists() and not os.environ.get("CI"):
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); CI=1 makes this a failure", allow_module_level=True)

pytestmark = [pytest.mark.anyio, pytest.mark.browser, pytest.mark.e2e]

UNSAFE = [
    "//evil.example/welcome",
    "/\\evil.example/welcome",
    "\\\\evil.example",
    "https:\\\\evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    " https://evil.example",
    "/done",
    "https:evil.example",
]


@pytest.fixture
def running(tmp_path: Path) -> Iterator[ThreadedSimulator]:
    settings = Settings(database=str(tmp_path / "browser.db"), frozen_clock=True, log_level="WARNING")
    with simulator_in_thread(settings) as started:
        yield started


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def test_the_web_sdk_page_only_redirects_to_absolute_http_urls(
    browser: Browser, running: ThreadedSimulator
) -> None:
    page = await browser.new_page()
    await page.goto(f"{running.base_url}/kyc/v2/index.html")
    check = "(urls) => urls.map((url) => window.OnekycSdk.absoluteHttpUrl(url))"
    assert await page.evaluate(check, UNSAFE) == [None] * len(UNSAFE)
    assert await page.evaluate(check, ["https://app.example.com/done?x=1", "HTTP://app.example.com"]) == [
        "https://app.example.com/done?x=1",
        "http://app.example.com/",
    ]
