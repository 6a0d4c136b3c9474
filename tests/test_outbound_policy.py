"""The outbound policy of the reference-image fetch on a simulator bound to a non-loopback address.

The simulator is configured as if bound to 0.0.0.0 (the policy reads `settings.host`); the partner's
image host is a real receiver on 127.0.0.1, which is exactly the kind of internal target the policy refuses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from conftest import Sim, SimFactory

from simulator.client import sample_jpeg
from simulator.services.partner_calls.host_policy import OutboundPolicy, OutboundRefused
from simulator.services.partner_calls.reference import GENERIC_ERROR
from simulator.settings import Settings
from simulator.testing_receiver import Receiver, Reply

pytestmark = pytest.mark.anyio


@pytest.fixture
async def host() -> AsyncIterator[Receiver]:
    async with Receiver() as running:
        yield running


async def _exposed(sim_factory: SimFactory, settings: Settings, *allow: str) -> Sim:
    exposed = settings.model_copy(update={"host": "0.0.0.0", "admin_token": "adm", "outbound_allow": list(allow)})
    return await sim_factory(exposed)


async def _run(sim: Sim, session_id: str, reference_url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(final status data, the fetch record) of a whole attempt whose Initiate Flow carried `reference_url`."""
    vendor = sim.vendor()
    body = {"flow": "STANDALONE_LIVENESS", "source": "SDK", "additionalDetails": {"referenceImageUrl": reference_url}}
    sdk = await vendor.launch(session_id, body=body)
    submission_id = await vendor.capture(sdk)
    response = await sim.http.post("/_sim/clock/advance", json={"seconds": 2}, headers={"authorization": "Bearer adm"})
    assert response.status_code == 200
    status: dict[str, Any] = (await vendor.status(sdk, submission_id)).json()["data"]
    fetch = await sim.services.repo.reference_fetch_of(submission_id)
    assert fetch is not None
    return status, fetch.to_json()


async def test_loopback_target_is_refused_and_the_vendor_error_stays_generic(
    sim_factory: SimFactory, settings: Settings, host: Receiver
) -> None:
    host.route("/ktp.jpg", Reply.image(sample_jpeg()))
    sim = await _exposed(sim_factory, settings)
    status, fetch = await _run(sim, "policy-refused", host.url_for("/ktp.jpg"))
    assert host.requests == []
    assert (status["status"], status["errorMessage"]) == ("ERROR", GENERIC_ERROR)
    assert (fetch["outcome"], fetch["statusCode"]) == ("unreachable", None)
    assert "outbound policy" in fetch["error"]
    assert "--outbound-allow" in fetch["error"]
    detail = await sim.http.get("/_sim/sessions", headers={"authorization": "Bearer adm"})
    key = detail.json()["sessions"][0]["key"]
    timeline = (await sim.http.get(f"/_sim/sessions/{key}", headers={"authorization": "Bearer adm"})).json()
    [shown] = [e for e in timeline["timeline"] if e["type"] == "referenceFetch"]
    assert "outbound policy" in shown["fetch"]["error"]


async def test_an_allowed_cidr_is_fetched(sim_factory: SimFactory, settings: Settings, host: Receiver) -> None:
    host.route("/ktp.jpg", Reply.image(sample_jpeg()))
    sim = await _exposed(sim_factory, settings, "127.0.0.0/8")
    status, fetch = await _run(sim, "policy-allowed", host.url_for("/ktp.jpg"))
    assert (status["status"], fetch["outcome"]) == ("COMPLETED", "image")
    assert len(host.requests) == 1


async def test_each_redirect_hop_is_checked(sim_factory: SimFactory, settings: Settings, host: Receiver) -> None:
    """`localhost` is allowed by name; its redirect to 127.0.0.1 (not allowed) is refused before it is sent."""
    host.route("/hop", Reply.redirect(host.url_for("/ktp.jpg")))
    host.route("/ktp.jpg", Reply.image(sample_jpeg()))
    sim = await _exposed(sim_factory, settings, "localhost")
    status, fetch = await _run(sim, "policy-hop", f"http://localhost:{host.port}/hop")
    assert [r.path for r in host.requests] == ["/hop"]
    assert (status["errorMessage"], fetch["redirects"]) == (GENERIC_ERROR, 1)
    assert "127.0.0.1" in fetch["error"]


async def test_connection_details_stay_out_of_the_vendor_status(sim: Sim, host: Receiver) -> None:
    await host.stop()
    status, fetch = await _run(sim, "policy-down", host.url_for("/ktp.jpg"))
    assert fetch["error"].startswith("connection failed")
    assert status["errorMessage"] == GENERIC_ERROR


@pytest.mark.parametrize(
    ("url", "allow", "refused"),
    [
        ("http://169.254.169.254/latest/meta-data/", [], True),
        ("http://10.1.2.3/x.jpg", [], True),
        ("http://[::ffff:192.168.0.1]/x.jpg", [], True),
        ("http://[::1]:8080/x.jpg", [], True),
        ("http://0.0.0.0/x.jpg", [], True),
        ("ftp://93.184.216.34/x.jpg", [], True),
        ("http://93.184.216.34/x.jpg", [], False),
        ("http://10.1.2.3/x.jpg", ["10.1.0.0/16"], False),
        ("https://refs.internal.example/x.jpg", ["*.internal.example"], False),
    ],
)
async def test_policy_decisions(url: str, allow: list[str], refused: bool) -> None:
    policy = OutboundPolicy.from_settings(Settings(host="0.0.0.0", outbound_allow=allow))
    if refused:
        with pytest.raises(OutboundRefused):
            await policy.check(url)
    else:
        await policy.check(url)


async def test_on_loopback_everything_stays_allowed() -> None:
    await OutboundPolicy.from_settings(Settings(host="127.0.0.1")).check("http://169.254.169.254/")


def test_allow_list_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEKYC_SIM_OUTBOUND_ALLOW", "10.0.0.0/8, refs.example.com")
    assert Settings().outbound_allow == ["10.0.0.0/8", "refs.example.com"]
    with pytest.raises(ValueError, match="neither a host name"):
        Settings(outbound_allow=["http://x/"])
