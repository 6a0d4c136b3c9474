"""Redirection URLs (Initiate Flow and the hosted page) and who may frame the simulator's pages."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Sim, SimFactory
from sqlalchemy import update

from simulator.client import VendorClient
from simulator.settings import Settings
from simulator.store.tables import partner_sessions

pytestmark = pytest.mark.anyio

WEB = "CLIENT_X-WEB_SDK-STANDALONE_LIVENESS"
UNSAFE = [
    "javascript:alert(document.domain)",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example/welcome",
    "/\\evil.example/welcome",
    "\\\\evil.example/welcome",
    "https:\\\\evil.example",
    "/relative/path",
    "http://",
    "https://app.example.com/ok path",
]


def _body(success: str, failure: str = "https://app.example.com/failed") -> dict[str, Any]:
    return {
        "flow": "STANDALONE_LIVENESS",
        "source": "WEB_SDK",
        "successRedirectionUrl": success,
        "failureRedirectionUrl": failure,
    }


@pytest.mark.parametrize("url", UNSAFE)
async def test_initiate_flow_refuses_non_http_redirects(sim: Sim, url: str) -> None:
    vendor = sim.vendor(onboarding_partner=WEB)
    for body, cause in (
        (_body(url), "INVALID_SUCCESS_REDIRECTION_URL"),
        (_body("https://app.example.com/done", url), "INVALID_FAILURE_REDIRECTION_URL"),
    ):
        response = await vendor.initiate("redirect-check", body=body)
        assert response.status_code == 400
        assert response.json() == {"success": False, "errors": [{"code": "1539", "cause": cause}]}


async def test_absolute_http_redirects_are_accepted(vendor: VendorClient, sim: Sim) -> None:
    web = sim.vendor(onboarding_partner=WEB)
    response = await web.initiate("redirect-ok", body=_body("http://127.0.0.1:3000/done?x=1#top"))
    assert response.status_code == 200


async def test_the_launch_endpoint_never_hands_the_page_an_unsafe_url(sim: Sim) -> None:
    """A session stored before the check existed: the page gets no redirect URL rather than a bad one."""
    web = sim.vendor(onboarding_partner=WEB)
    initiated = (await web.initiate("legacy-redirect", body=_body("https://app.example.com/done"))).json()
    token = initiated["data"]["launchUrl"].partition("token=")[2]
    session = await sim.services.repo.find_session(web.client_id, "legacy-redirect")
    assert session is not None
    async with sim.services.repo.engine.begin() as conn:
        stored = partner_sessions.c
        await conn.execute(
            update(partner_sessions).where(stored.key == session.key).values(success_url="//evil.example")
        )
    sim.services.repo.forget()
    launch = (await sim.http.get("/kyc/v2/launch", headers={"x-onekyc-token": token})).json()["data"]
    assert launch["successRedirectionUrl"] is None
    assert launch["failureRedirectionUrl"] == "https://app.example.com/failed"


async def test_the_dashboard_cannot_be_framed(client: Any) -> None:
    page = await client.get("/_sim/ui")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


async def test_the_web_sdk_page_frame_ancestors_are_configurable(
    client: Any, sim_factory: SimFactory, settings: Settings
) -> None:
    default = await client.get("/kyc/v2/index.html")
    assert "frame-ancestors 'self'" in default.headers["content-security-policy"]
    assert default.headers["x-frame-options"] == "SAMEORIGIN"
    partner_app = "'self' https://app.example.com"
    sim = await sim_factory(settings.model_copy(update={"web_sdk_frame_ancestors": partner_app}))
    embedded = await sim.http.get("/kyc/v2/index.html")
    assert f"frame-ancestors {partner_app}" in embedded.headers["content-security-policy"]
    assert "x-frame-options" not in embedded.headers
