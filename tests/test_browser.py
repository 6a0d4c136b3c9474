"""A real headless Chromium against a real simulator on a free port: the Web SDK page and the dashboard.

The partner's redirect targets live on `http://partner.test`, answered by Playwright's router, so no
request leaves the machine. Nothing sleeps: the page polls on its own, the tests wait on what it shows
(with timeouts) and move the simulator clock to end processing.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, async_playwright, expect

from simulator.client import SdkSession, VendorClient
from simulator.services.vendor_flow.authentication import USER_TOKEN_LIFETIME
from simulator.settings import Settings
from simulator.testing_server import CHROMIUM, CHROMIUM_ARGS, ThreadedSimulator, simulator_in_thread

PARTNER = "http://partner.test"
IMAGES = Path(__file__).resolve().parent.parent / "scenarios" / "images"
SELFIE = IMAGES / "selfie-pass.jpg"
WEB_PARTNER = "CLIENT_X-WEB_SDK-STANDALONE_LIVENESS"

CHROMIUM_PRESENT = CHROMIUM.exists()
if not CHROMIUM_PRESENT and not os.environ.get("CI"):
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); CI=1 makes this a failure", allow_module_level=True)

pytestmark = [pytest.mark.anyio, pytest.mark.browser, pytest.mark.e2e]
expect.set_options(timeout=10_000)  # the dashboard refreshes every 2 s, the Web SDK page polls every 1 s


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    assert CHROMIUM_PRESENT, f"CI is set but {CHROMIUM} is missing: .ci/run installs Debian's chromium"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1366, "height": 860})
    context.set_default_timeout(10_000)
    opened = await context.new_page()

    async def partner_site(route: Route) -> None:
        await route.fulfill(status=200, content_type="text/html", body="<h1>partner app</h1>")

    await opened.route(f"{PARTNER}/**", partner_site)
    try:
        yield opened
    finally:
        await context.close()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[ThreadedSimulator]:
    settings = Settings(database=str(tmp_path / "browser.db"), frozen_clock=True, log_level="WARNING")
    with simulator_in_thread(settings) as started:
        yield started


@pytest.fixture
async def http(running: ThreadedSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=running.base_url) as client:
        yield client


async def web_launch(http: httpx.AsyncClient, partner_session_id: str) -> str:
    response = await VendorClient(http).initiate(
        partner_session_id,
        onboarding_partner=WEB_PARTNER,
        body={
            "flow": "STANDALONE_LIVENESS",
            "source": "WEB_SDK",
            "successRedirectionUrl": f"{PARTNER}/done?app=demo",
            "failureRedirectionUrl": f"{PARTNER}/failed",
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["launchUrl"])


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


async def advance(http: httpx.AsyncClient, seconds: float) -> None:
    response = await http.post("/_sim/clock/advance", json={"seconds": seconds})
    response.raise_for_status()


async def choose_selfie(page: Page, image: Path) -> None:
    """Pick `image` once the page shows its capture screen: its script listens for the file only from then on
    (a file chosen while the page still loads the session is never seen, and Submit stays disabled)."""
    await expect(page.locator("#screen-capture")).to_be_visible()
    await page.set_input_files("#file-input", image)


async def test_web_sdk_uploads_the_selfie_and_redirects_to_success(page: Page, http: httpx.AsyncClient) -> None:
    await page.goto(await web_launch(http, "web-pass"))
    await expect(page.locator("body")).to_have_attribute("data-screen", "capture")
    await expect(page.locator("#footer-session")).to_have_text("web-pass")

    await choose_selfie(page, SELFIE)
    await page.click("#submit-button")
    await expect(page.locator("#progress-status")).to_contain_text("IN_PROGRESS · nextAction STATUS")

    await advance(http, 5)
    await page.wait_for_url(f"{PARTNER}/done?**")
    assert query_of(page.url) == {"app": ["demo"], "status": ["COMPLETED"], "partner_session_id": ["web-pass"]}

    # The redirect is not the verdict: the partner backend asks for it, and gets the very selfie uploaded.
    details = (await VendorClient(http).details(partner_session_id="web-pass")).json()["data"]
    assert (details["status"], details["result"]) == ("COMPLETED", "VALID")
    selfie = await http.get(details["submissionDetails"]["imageUrls"]["selfie"])
    assert selfie.content == SELFIE.read_bytes()


async def test_web_sdk_scripted_spoof_shows_retry_then_cancel_redirects_to_failure(
    page: Page, http: httpx.AsyncClient
) -> None:
    partner_session_id = 'web-<img src=x onerror="window.__xss=1">'
    await page.goto(await web_launch(http, partner_session_id))
    await expect(page.locator("body")).to_have_attribute("data-screen", "capture")
    await page.select_option("#scenario-select", "spoof")
    await expect(page.locator("#scenario-state")).to_have_attribute("data-bound", "spoof")

    await page.click("#sample-button")
    await page.click("#submit-button")
    await expect(page.locator("#progress-status")).to_contain_text("IN_PROGRESS")
    await advance(http, 5)
    await expect(page.locator("body")).to_have_attribute("data-screen", "result")
    await expect(page.locator("#result-facts")).to_contain_text("isApproved")
    await expect(page.locator("#result-facts")).to_contain_text("1 / 3")
    await expect(page.locator("#result-primary")).to_be_visible()

    # Ids are text, never markup.
    await expect(page.locator("#footer-session")).to_have_text(partner_session_id)
    assert await page.locator("img[src=x]").count() == 0
    assert await page.evaluate("window.__xss") is None

    await page.click("#result-cancel")
    await page.wait_for_url(f"{PARTNER}/failed?**")
    assert query_of(page.url) == {
        "status": ["ERROR"],
        "partner_session_id": [partner_session_id],
        "error_code": ["USER_CANCELLED"],
    }


async def test_web_sdk_magic_error_selfie_redirects_with_system_error(page: Page, http: httpx.AsyncClient) -> None:
    await page.goto(await web_launch(http, "web-error"))
    await choose_selfie(page, IMAGES / "selfie-system-error.jpg")
    await page.click("#submit-button")
    await expect(page.locator("#progress-status")).to_contain_text("IN_PROGRESS")
    await advance(http, 5)
    await page.wait_for_url(f"{PARTNER}/failed?**")
    assert query_of(page.url) == {
        "status": ["ERROR"],
        "partner_session_id": ["web-error"],
        "error_code": ["SYSTEM_ERROR"],
    }


async def test_web_sdk_with_an_expired_token_redirects_with_session_timeout(
    page: Page, http: httpx.AsyncClient
) -> None:
    launch_url = await web_launch(http, "web-expired")
    await advance(http, USER_TOKEN_LIFETIME + 1)
    await page.goto(launch_url)
    await page.wait_for_url(f"{PARTNER}/failed?**")
    assert query_of(page.url) == {
        "status": ["ERROR"],
        "partner_session_id": ["web-expired"],
        "error_code": ["SESSION_TIMEOUT"],
    }


async def test_dashboard_shows_sessions_live_and_acts_on_them(
    page: Page, http: httpx.AsyncClient, running: ThreadedSimulator
) -> None:
    vendor = VendorClient(http)
    sdk: SdkSession = await vendor.launch("dash-1", user_id="dash-user")
    submission_id = await vendor.capture(sdk)

    await page.goto(f"{running.base_url}/_sim/ui")
    first = page.locator('#sessions-body tr[data-partner-session-id="dash-1"]')
    await expect(first).to_contain_text("IN_PROGRESS")
    await expect(first).to_contain_text("dash-user")

    # A session started after the page loaded appears by itself (the list polls every 2 s).
    await vendor.launch("dash-2")
    await expect(page.locator('#sessions-body tr[data-partner-session-id="dash-2"]')).to_contain_text("no submission")

    await first.click()
    await expect(page.locator("#detail-title")).to_have_text("dash-1")
    await expect(page.locator(".timeline li[data-kind=transition]").first).to_be_visible()
    row = page.locator(f'#submissions-table tr[data-submission-id="{submission_id}"]')
    await expect(row.locator("td.status")).to_have_text("IN_PROGRESS")

    await row.locator("select.force-outcome").select_option("NOT_LIVE")
    await row.locator("button.force").click()
    await expect(row.locator("td.status")).to_have_text("COMPLETEDINVALID · NOT_LIVE")
    status = (await vendor.status(sdk, submission_id)).json()["data"]
    assert status["status"] == "COMPLETED", status
    assert status["verificationResult"]["isApproved"] is False

    # Expire the user token from the page: the SDK's next call is refused.
    await page.fill("#expire-token-input", sdk.token)
    await page.click("#expire-token")
    await expect(page.locator("#notice")).to_contain_text("Expire the token: done")
    assert (await vendor.status(sdk, submission_id)).status_code == 401

    before = (await http.get("/_sim/clock")).json()["epoch"]
    await page.click("[data-advance='60']")
    await expect(page.locator("#notice")).to_contain_text("Clock advanced 60 s")
    assert (await http.get("/_sim/clock")).json()["epoch"] == pytest.approx(before + 60)


async def test_dashboard_counts_failed_jobs_and_shows_them_in_the_timeline(
    page: Page, http: httpx.AsyncClient, running: ThreadedSimulator
) -> None:
    """A reference URL the HTTP client cannot parse makes the fetch job fail past its retry budget."""
    vendor = VendorClient(http)
    body = {"flow": "STANDALONE_LIVENESS", "source": "SDK", "additionalDetails": {"referenceImageUrl": "http://xn--/k"}}
    sdk = await vendor.launch("dash-failed-job", body=body)
    await vendor.capture(sdk)
    await page.goto(f"{running.base_url}/_sim/ui")
    await expect(page.locator("#health")).to_have_class(re.compile(r"\bok\b"))
    for seconds in (0, 1, 2, 4, 8, 2):
        await advance(http, seconds)

    await expect(page.locator("#health")).to_contain_text("1 failed job")
    await expect(page.locator("#health")).to_have_class(re.compile(r"\bwarn\b"))
    await page.locator('#sessions-body tr[data-partner-session-id="dash-failed-job"]').click()
    await expect(page.locator(".timeline li[data-kind=job]")).to_contain_text("fetch_reference failed")


async def test_dashboard_behind_the_admin_token(browser: Browser, tmp_path: Path) -> None:
    settings = Settings(database=str(tmp_path / "guarded.db"), admin_token="s3cret-token", log_level="WARNING")
    with simulator_in_thread(settings) as guarded:
        async with httpx.AsyncClient(base_url=guarded.base_url) as client:
            await VendorClient(client).launch("guarded-1")
            refused = await client.get("/_sim/ui", headers={"accept": "text/html"})
            assert refused.status_code == 401
            assert refused.headers["www-authenticate"].startswith("Basic")
        ui = f"{guarded.base_url}/_sim/ui"

        # A browser gives the token as the Basic-auth password, then sends it with the page's API calls too.
        context = await browser.new_context(http_credentials={"username": "dev", "password": "s3cret-token"})
        page = await context.new_page()
        await page.goto(ui)
        await expect(page.locator('#sessions-body tr[data-partner-session-id="guarded-1"]')).to_be_visible()
        await expect(page.locator("#clock-state")).to_have_text("running")
        await context.close()
