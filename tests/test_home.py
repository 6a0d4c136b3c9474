"""`GET /`: a browser is sent to the dashboard (relative Location, whatever the Host), an API client gets
a short JSON index whose every path is served."""

from __future__ import annotations

import httpx
import pytest
from conftest import Sim
from starlette.routing import Match

from simulator.home import wants_html

pytestmark = pytest.mark.anyio

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


async def test_a_browser_is_redirected_to_the_dashboard_by_a_relative_location(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers={"accept": BROWSER_ACCEPT, "host": "evil.example"})
    assert response.status_code == 303
    assert response.headers["location"] == "/_sim/ui"
    assert "accept" in response.headers["vary"].lower()


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "text/html;q=0, */*"])
async def test_an_api_client_gets_the_index(client: httpx.AsyncClient, accept: str | None) -> None:
    headers = {"accept": accept} if accept else {}
    response = await client.get("/", headers=headers)
    assert response.status_code == 200
    index = response.json()
    assert index["name"] == "onekyc-sim"
    assert index["tokenGateway"]["partnerToken"][0] == "/v1/esign/partner/authentication"
    assert index["iabGateway"]["initiateFlow"] == "/coe-partner/v1/initiate-flow"
    assert index["sim"]["dashboard"] == "/_sim/ui"
    assert index["sim"]["openapi"] == "/_sim/openapi.json"


def _paths(node: object) -> list[str]:
    if isinstance(node, str):
        return [node] if node.startswith("/") else []
    if isinstance(node, dict):
        return [path for value in node.values() for path in _paths(value)]
    if isinstance(node, list):
        return [path for value in node for path in _paths(value)]
    return []


async def test_every_path_of_the_index_is_served(sim: Sim) -> None:
    index = (await sim.http.get("/")).json()
    paths = _paths(index)
    assert len(paths) >= 10
    for path in paths:
        concrete = path.replace("{submissionId}", "0f8b7f2e-5a1c-4b7e-9c6d-2a3b4c5d6e7f")
        scope = {"type": "http", "path": concrete, "method": "GET", "root_path": ""}
        assert any(route.matches(scope)[0] is not Match.NONE for route in sim.app.routes), path


@pytest.mark.parametrize(
    ("accept", "html"),
    [("text/html", True), ("TEXT/HTML; q=0.5", True), (BROWSER_ACCEPT, True), ("text/html;q=0", False), ("", False)],
)
def test_wants_html(accept: str, html: bool) -> None:
    assert wants_html(accept) is html
