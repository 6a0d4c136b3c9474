"""Regenerate the README screenshots: `.venv/bin/python docs/screenshots/capture.py`.

Starts a simulator on a free port (frozen clock, throw-away database), plays a few partner flows
through the vendor API, then photographs the dashboard and the hosted Web SDK page with the system
Chromium (the same one the browser tests drive).
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from playwright.async_api import async_playwright, expect

from simulator.client import VendorClient
from simulator.settings import Settings
from simulator.testing_server import CHROMIUM, CHROMIUM_ARGS, simulator_in_thread

HERE = Path(__file__).resolve().parent
SELFIE = HERE.parent.parent / "scenarios" / "images" / "selfie-pass.jpg"


async def advance(http: httpx.AsyncClient, seconds: float) -> None:
    (await http.post("/_sim/clock/advance", json={"seconds": seconds})).raise_for_status()


class Receiver(BaseHTTPRequestHandler):
    """The partner's callback endpoint: fails the first call, accepts the rest."""

    calls = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        Receiver.calls += 1
        self.send_response(500 if Receiver.calls == 1 else 200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


async def play_flows(http: httpx.AsyncClient, callback_url: str) -> str:
    """A few sessions in different states; the key of the one worth showing in detail."""
    vendor = VendorClient(http)
    configured = await http.patch(f"/_sim/partners/{vendor.client_id}/callback", json={"url": callback_url})
    configured.raise_for_status()
    sdk = await vendor.launch("checkout-7781", user_id="cust-1001")
    await vendor.capture(sdk)
    await advance(http, 3)

    spoof = await vendor.launch("onboarding-5512", user_id="SIM_SPOOF-cust-2002")
    first = await vendor.capture(spoof)
    await advance(http, 3)
    await vendor.status(spoof, first)
    await advance(http, 10)
    await vendor.capture(spoof)

    await vendor.launch("kyc-upgrade-1204", user_id="cust-3003")
    web = VendorClient(http, onboarding_partner="CLIENT_X-WEB_SDK-STANDALONE_LIVENESS")
    await web.initiate("web-3390", user_id="cust-4004", source="WEB_SDK")
    found = (await http.get("/_sim/sessions/by-partner-session/onboarding-5512")).json()
    return str(found["session"]["key"])


async def web_launch_url(http: httpx.AsyncClient) -> str:
    web = VendorClient(http, onboarding_partner="CLIENT_X-WEB_SDK-STANDALONE_LIVENESS")
    response = await web.initiate(
        "web-7001",
        user_id="cust-5005",
        body={
            "flow": "STANDALONE_LIVENESS",
            "source": "WEB_SDK",
            "successRedirectionUrl": "https://partner.example/kyc/done",
            "failureRedirectionUrl": "https://partner.example/kyc/failed",
            "additionalDetails": {"userLocale": "en_ID"},
        },
    )
    response.raise_for_status()
    return str(response.json()["data"]["launchUrl"])


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database=str(Path(tmp) / "shots.db"), frozen_clock=True, log_level="WARNING")
        receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        receiver_url = f"http://127.0.0.1:{receiver.server_address[1]}/kyc/callback"
        with simulator_in_thread(settings) as running:
            async with httpx.AsyncClient(base_url=running.base_url) as http, async_playwright() as pw:
                key = await play_flows(http, receiver_url)
                launch_url = await web_launch_url(http)
                browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                page = await browser.new_page(viewport={"width": 1440, "height": 1180})
                await page.goto(f"{running.base_url}/_sim/ui#/sessions/{key}")
                await expect(page.locator("#detail-title")).to_have_text("onboarding-5512")
                await expect(page.locator(".timeline li").first).to_be_visible()
                await page.screenshot(path=HERE / "dashboard.png")

                sdk_page = await browser.new_page(viewport={"width": 520, "height": 760})
                await sdk_page.goto(launch_url)
                await sdk_page.set_input_files("#file-input", SELFIE)
                await expect(sdk_page.locator("#submit-button")).to_be_enabled()
                await sdk_page.screenshot(path=HERE / "web-sdk.png", full_page=True)
                await browser.close()
        receiver.shutdown()


if __name__ == "__main__":
    asyncio.run(main())
