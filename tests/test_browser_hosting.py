"""A real headless Chromium on the hosting parts of the pages: the Web SDK redirect check, a partner's dashboard."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, async_playwright, expect

from simulator.client import VendorClient
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


async def test_a_partner_signs_in_to_the_dashboard_and_sees_only_its_sessions(browser: Browser, tmp_path: Path) -> None:
    config = tmp_path / "partners.yaml"
    config.write_text(
        "partners:\n"
        "  - {client_id: tenant-a, pass_key: pk-a, onboarding_partners: [A-SDK-STANDALONE_LIVENESS]}\n"
        "  - {client_id: tenant-b, pass_key: pk-b, onboarding_partners: [B-SDK-STANDALONE_LIVENESS]}\n"
    )
    settings = Settings(
        database=str(tmp_path / "tenants.db"), config=config, admin_token="adm", frozen_clock=True, log_level="WARNING"
    )
    with simulator_in_thread(settings) as hosted:
        async with httpx.AsyncClient(base_url=hosted.base_url) as client:
            for tenant in ("a", "b"):
                vendor = VendorClient(
                    client,
                    client_id=f"tenant-{tenant}",
                    pass_key=f"pk-{tenant}",
                    onboarding_partner=f"{tenant.upper()}-SDK-STANDALONE_LIVENESS",
                )
                await vendor.launch(f"session-{tenant}")
        context = await browser.new_context(http_credentials={"username": "tenant-a", "password": "pk-a"})
        page = await context.new_page()
        await page.goto(f"{hosted.base_url}/_sim/ui")
        await expect(page.locator("#whoami")).to_have_text("partner tenant-a")
        await expect(page.locator('#sessions-body tr[data-partner-session-id="session-a"]')).to_be_visible()
        await expect(page.locator('#sessions-body tr[data-partner-session-id="session-b"]')).to_have_count(0)
        await expect(page.locator("#clock-toggle")).to_be_hidden()
        await context.close()
