"""A browser opening the simulator's root lands on the dashboard, whose times all read like its clock:
ISO 8601, UTC, milliseconds, `Z`. Real headless Chromium against a real simulator on a free port."""

from __future__ import annotations

import os
import re
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

ISO_UTC_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
INSTANT = "2026-05-01T10:00:02.125Z"


@pytest.fixture
def running(tmp_path: Path) -> Iterator[ThreadedSimulator]:
    settings = Settings(database=str(tmp_path / "times.db"), frozen_clock=True, log_level="WARNING")
    with simulator_in_thread(settings) as started:
        yield started


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    assert CHROMIUM.exists(), f"CI is set but {CHROMIUM} is missing: .ci/run installs Debian's chromium"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def test_the_root_leads_a_browser_to_a_dashboard_whose_times_read_like_the_clock(
    browser: Browser, running: ThreadedSimulator
) -> None:
    async with httpx.AsyncClient(base_url=running.base_url) as http:
        (await http.post("/_sim/clock/freeze", json={"at": INSTANT})).raise_for_status()
        vendor = VendorClient(http)
        await vendor.capture(await vendor.launch("times-1"))

    context = await browser.new_context(viewport={"width": 1366, "height": 860})
    context.set_default_timeout(10_000)
    page = await context.new_page()
    try:
        await page.goto(f"{running.base_url}/")
        assert page.url == f"{running.base_url}/_sim/ui"

        await expect(page.locator("#clock-now")).to_have_text(INSTANT)
        row = page.locator('#sessions-body tr[data-partner-session-id="times-1"]')
        # The session list's API gives whole seconds; the page still writes them in the clock's form.
        await expect(row.locator("td.created")).to_have_text("2026-05-01T10:00:02.000Z")
        await expect(page.locator("#refreshed")).to_have_text(re.compile(rf"^updated {ISO_UTC_MS.pattern}$"))

        await row.click()
        times = page.locator(".timeline .tl-time")
        await expect(times.first).to_be_visible()
        texts = await times.all_inner_texts()
        assert INSTANT in texts
        assert all(ISO_UTC_MS.fullmatch(text) for text in texts), texts
    finally:
        await context.close()
