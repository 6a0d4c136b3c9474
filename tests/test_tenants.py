"""Several partners on one simulator: each sees and changes only its own data through `/_sim`."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from conftest import BASE_URL, Sim, SimFactory

from simulator.client import VendorClient
from simulator.settings import Settings
from simulator.testing_receiver import Receiver

pytestmark = pytest.mark.anyio

ADMIN = {"authorization": "Bearer adm"}
TENANTS = {
    "tenant-a": ("pk-a", "A-SDK-STANDALONE_LIVENESS"),
    "tenant-b": ("pk-b", "B-SDK-STANDALONE_LIVENESS"),
}
A = {"client-id": "tenant-a", "pass-key": "pk-a"}


class Hosted:
    """A shared simulator with an admin token and two partners, each with one finished submission."""

    def __init__(self, sim: Sim) -> None:
        self.sim = sim
        self.submission: dict[str, str] = {}
        self.session_key: dict[str, str] = {}

    async def as_(self, who: dict[str, str], method: str, path: str, **kwargs: Any) -> Any:
        return await self.sim.http.request(method, path, headers=who, **kwargs)


@pytest.fixture
async def hosted(sim_factory: SimFactory, settings: Settings) -> Hosted:
    sim = await sim_factory(settings.model_copy(update={"admin_token": "adm"}))
    shared = Hosted(sim)
    async with Receiver() as receiver:
        for client_id, (pass_key, onboarding) in TENANTS.items():
            body = {
                "pass_key": pass_key,
                "onboarding_partners": [onboarding],
                "callback": {"url": receiver.url_for(f"/{client_id}")},
            }
            assert (await sim.http.put(f"/_sim/partners/{client_id}", json=body, headers=ADMIN)).status_code == 201
            vendor = VendorClient(sim.http, client_id=client_id, pass_key=pass_key, onboarding_partner=onboarding)
            sdk = await vendor.launch(f"{client_id}-session")
            shared.submission[client_id] = await vendor.capture(sdk)
        assert (await sim.http.post("/_sim/clock/advance", json={"seconds": 5}, headers=ADMIN)).status_code == 200
    sessions = (await sim.http.get("/_sim/sessions", headers=ADMIN)).json()["sessions"]
    shared.session_key = {s["clientId"]: s["key"] for s in sessions}
    assert set(shared.session_key) >= set(TENANTS)
    return shared


def _clients(items: list[dict[str, Any]], field: str = "clientId") -> set[str]:
    return {item[field] for item in items}


async def test_a_partner_reads_only_its_own_data(hosted: Hosted) -> None:
    assert (await hosted.as_(A, "GET", "/_sim/whoami")).json() == {"role": "partner", "clientId": "tenant-a"}
    sessions = (await hosted.as_(A, "GET", "/_sim/sessions")).json()["sessions"]
    assert _clients(sessions) == {"tenant-a"}
    journal = (await hosted.as_(A, "GET", "/_sim/requests", params={"limit": 1000})).json()["requests"]
    assert journal
    assert _clients(journal) == {"tenant-a"}
    callbacks = (await hosted.as_(A, "GET", "/_sim/callbacks")).json()["callbacks"]
    assert callbacks
    assert _clients(callbacks) == {"tenant-a"}
    partners = (await hosted.as_(A, "GET", "/_sim/partners")).json()["partners"]
    assert _clients(partners, "client_id") == {"tenant-a"}
    assert partners[0]["pass_key"].startswith("sha256:")
    verify = await hosted.as_(A, "POST", "/_sim/verify", json={"path": "/coe-partner/v1/initiate-flow"})
    assert verify.json()["matched"] == 1
    own = await hosted.as_(A, "GET", f"/_sim/sessions/{hosted.session_key['tenant-a']}")
    assert own.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/_sim/sessions?clientId=tenant-b", {}, 403),
        ("GET", "/_sim/requests?clientId=tenant-b", {}, 403),
        ("GET", "/_sim/callbacks?clientId=tenant-b", {}, 403),
        ("GET", "/_sim/bindings?clientId=tenant-b", {}, 403),
        ("GET", "/_sim/sessions/by-partner-session/tenant-b-session", {}, 404),
        ("POST", "/_sim/verify", {"json": {"clientId": "tenant-b", "path": "/coe/*"}}, 403),
        ("GET", "/_sim/partners/tenant-b", {}, 403),
        ("PUT", "/_sim/partners/tenant-b", {"json": {"pass_key": "stolen"}}, 403),
        ("PUT", "/_sim/partners/tenant-c", {"json": {"pass_key": "new"}}, 403),
        (
            "PUT",
            "/_sim/partners/tenant-a",
            {"json": {"pass_key": "pk-a", "onboarding_partners": ["B-SDK-STANDALONE_LIVENESS"]}},
            403,
        ),
        ("DELETE", "/_sim/partners/tenant-b", {}, 403),
        ("PATCH", "/_sim/partners/tenant-b/callback", {"json": {"url": "http://127.0.0.1:9/x"}}, 403),
        ("PATCH", "/_sim/partners/tenant-b/reference-image", {"json": {"url": "http://127.0.0.1:9/x"}}, 403),
        ("PUT", "/_sim/bindings/any", {"json": {"scenario": "spoof", "clientId": "tenant-b"}}, 403),
        ("POST", "/_sim/reset", {"json": {"clientId": "tenant-b"}}, 403),
        ("POST", "/_sim/clock/advance", {"json": {"seconds": 1}}, 403),
        ("POST", "/_sim/clock/freeze", {}, 403),
    ],
)
async def test_a_partner_cannot_reach_another_partner(
    hosted: Hosted, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    refused = await hosted.as_(A, method, path, **kwargs)
    assert refused.status_code == status, refused.text
    [error] = refused.json()["errors"]
    assert error["code"] == f"SIM_{status}"
    assert (await hosted.sim.http.get("/_sim/partners/tenant-b", headers=ADMIN)).json()["client_id"] == "tenant-b"


async def test_objects_of_another_partner_are_unknown(hosted: Hosted) -> None:
    other = hosted.submission["tenant-b"]
    token_of_b = (
        await hosted.sim.http.get(
            "/v1/coe/partner/authentication", headers={"client-id": "tenant-b", "pass-key": "pk-b"}
        )
    ).json()["data"]["token"]
    callback_id = (await hosted.sim.http.get("/_sim/callbacks?clientId=tenant-b", headers=ADMIN)).json()["callbacks"][
        0
    ]["id"]
    for method, path in (
        ("GET", f"/_sim/sessions/{hosted.session_key['tenant-b']}"),
        ("POST", f"/_sim/submissions/{other}/force"),
        ("POST", f"/_sim/submissions/{other}/callback"),
        ("GET", f"/_sim/callbacks/{callback_id}"),
        ("POST", f"/_sim/callbacks/{callback_id}/redeliver"),
        ("POST", "/_sim/tokens/expire"),
    ):
        body = {"outcome": "PASS"} if "force" in path else {"token": token_of_b} if "tokens" in path else None
        response = await hosted.as_(A, method, path, json=body)
        assert response.status_code == 404, (path, response.text)


async def test_a_partner_changes_its_own_settings_and_resets_only_itself(hosted: Hosted) -> None:
    patched = await hosted.as_(A, "PATCH", "/_sim/partners/tenant-a/callback", json={"method": "PUT"})
    assert patched.json()["callback"]["method"] == "PUT"
    renamed = await hosted.as_(A, "PUT", "/_sim/partners/tenant-a", json=patched.json() | {"name": "Squad A"})
    assert (renamed.status_code, renamed.json()["name"]) == (200, "Squad A")
    bound = await hosted.as_(A, "PUT", "/_sim/bindings/next-session", json={"scenario": "spoof"})
    assert bound.json()["clientId"] == "tenant-a"
    assert _clients((await hosted.as_(A, "GET", "/_sim/bindings")).json()["bindings"]) == {"tenant-a"}
    reset = await hosted.as_(A, "POST", "/_sim/reset", json={})
    assert reset.json()["reset"] == {"clientId": "tenant-a"}
    remaining = (await hosted.sim.http.get("/_sim/sessions", headers=ADMIN)).json()["sessions"]
    assert _clients(remaining) == {"tenant-b"}


async def test_the_admin_sees_everyone_and_bad_credentials_are_refused(hosted: Hosted) -> None:
    sessions = (await hosted.sim.http.get("/_sim/sessions", headers=ADMIN)).json()["sessions"]
    assert _clients(sessions) >= set(TENANTS)
    assert (await hosted.as_(ADMIN, "GET", "/_sim/whoami")).json() == {"role": "admin"}
    wrong = await hosted.as_({"client-id": "tenant-a", "pass-key": "pk-b"}, "GET", "/_sim/sessions")
    assert wrong.status_code == 401
    assert wrong.json()["errors"][0]["code"] == "SIM_401"
    assert (await hosted.as_({}, "GET", "/_sim/sessions")).status_code == 401
    assert (await hosted.as_({}, "GET", "/_sim/health")).status_code == 200  # health checks carry no credentials


async def test_the_dashboard_logs_a_partner_in_with_basic_auth(hosted: Hosted) -> None:
    basic = {"authorization": "Basic " + base64.b64encode(b"tenant-a:pk-a").decode()}
    page = await hosted.as_(basic | {"accept": "text/html"}, "GET", "/_sim/ui")
    assert page.status_code == 200
    sessions = (await hosted.as_(basic, "GET", "/_sim/sessions")).json()["sessions"]
    assert _clients(sessions) == {"tenant-a"}
    challenged = await hosted.as_({"accept": "text/html"}, "GET", "/_sim/ui")
    assert challenged.status_code == 401
    assert challenged.headers["www-authenticate"].startswith("Basic")


async def test_partner_credentials_scope_the_view_without_an_admin_token(sim: Sim) -> None:
    body = {"pass_key": "pk-a", "onboarding_partners": ["A-SDK-STANDALONE_LIVENESS"]}
    assert (await sim.http.put("/_sim/partners/tenant-a", json=body)).status_code == 201
    await sim.vendor().launch("sample-session")
    assert (await sim.http.get("/_sim/sessions", headers=A)).json()["sessions"] == []
    assert len((await sim.http.get("/_sim/sessions")).json()["sessions"]) == 1
    assert BASE_URL
