"""The HTTP edges in the vendor envelope: no redirect built from Host, 405 with Allow, CORS on request,
deeply nested bodies refused and journaled, ambiguous requests refused, the flow bound to the
onboarding partner.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conftest import Sim, SimFactory, s3_error
from pydantic import ValidationError

from simulator.cli import build_parser, settings_from
from simulator.client import VendorClient
from simulator.partners import SAMPLE_CLIENT_ID, SAMPLE_PASS_KEY
from simulator.services.journal.attribution import RowBuilder
from simulator.services.journal.buffer import Exchange
from simulator.services.vendor_flow.partner_sessions import flow_of_onboarding_partner
from simulator.settings import Settings

pytestmark = pytest.mark.anyio

VENDOR_PATHS = [
    ("GET", "/v1/esign/partner/authentication"),
    ("GET", "/v1/coe/partner/authentication"),
    ("GET", "/v2/coe/authentication"),
    ("POST", "/coe-partner/v1/initiate-flow"),
    ("GET", "/coe/v1/submissions/urls"),
    ("PUT", "/coe/v1/submissions/urls"),
    ("GET", "/coe-partner/v1/submissions/url"),
    ("GET", "/coe/v1/submissions/abc/status"),
    ("GET", "/coe/v1/submissions"),
    ("GET", "/coe-partner/v1/submissions"),
    ("GET", "/_sim/health"),
    ("GET", "/kyc/v2/launch"),
]
EVIL = "evil.example"
DEEP = b"[" * 100_000 + b"]" * 100_000


def _no_evil(response: httpx.Response) -> None:
    assert "location" not in response.headers
    assert EVIL not in response.text
    assert all(EVIL not in value for value in response.headers.values())


@pytest.mark.parametrize(("method", "path"), VENDOR_PATHS, ids=[f"{m} {p}" for m, p in VENDOR_PATHS])
async def test_a_trailing_slash_is_an_unknown_path_never_a_redirect(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, f"{path}/", headers={"host": EVIL})
    assert response.status_code == 404
    assert response.json() == {"success": False, "errors": [{"code": "404", "cause": "PATH_NOT_FOUND"}]}
    _no_evil(response)


async def test_a_trailing_slash_on_a_storage_path_is_no_such_key(client: httpx.AsyncClient) -> None:
    response = await client.put("/storage/STANDALONE_LIVENESS/abc_SELFIE/?X-Amz-Date=1", headers={"host": EVIL})
    assert s3_error(response) == (404, "NoSuchKey")
    _no_evil(response)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/coe/v1/submissions/urls", "GET, HEAD, PUT"),
        ("POST", "/coe-partner/v1/submissions/url", "GET, HEAD, PUT"),
        ("GET", "/coe-partner/v1/initiate-flow", "POST"),
        ("PUT", "/v1/esign/partner/authentication", "GET, HEAD"),
        ("OPTIONS", "/coe/v1/submissions/abc/status", "GET, HEAD"),
    ],
)
async def test_405_carries_allow_in_the_vendor_envelope(
    client: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert response.json() == {"success": False, "errors": [{"code": "405", "cause": "METHOD_NOT_ALLOWED"}]}


async def test_405_on_the_storage_is_s3s_method_not_allowed_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.post("/storage/STANDALONE_LIVENESS/abc_SELFIE")
    assert s3_error(response) == (405, "MethodNotAllowed")
    assert response.headers["allow"] == "GET, HEAD, PUT"


# -- CORS ---------------------------------------------------------------------------------------------

APP = "http://app.test"


def _preflight(method: str, headers: str, origin: str = APP) -> dict[str, str]:
    return {
        "origin": origin,
        "access-control-request-method": method,
        "access-control-request-headers": headers,
    }


async def test_cors_is_off_by_default(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/coe-partner/v1/initiate-flow", headers=_preflight("POST", "x-onekyc-token,content-type")
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert "access-control-allow-origin" not in response.headers
    got = await client.get("/v1/esign/partner/authentication", headers={"origin": APP})
    assert "access-control-allow-origin" not in got.headers


@pytest.fixture
async def cors_sim(sim_factory: SimFactory, settings: Settings) -> Sim:
    return await sim_factory(settings.model_copy(update={"cors_origins": [APP, "http://other.test:3000"]}))


async def test_a_preflight_is_answered_with_the_vendor_methods_and_headers(cors_sim: Sim) -> None:
    vendor_headers = (
        "x-onekyc-token,x-onboarding-partner,x-partner-user-id,x-partner-user-id-type,x-partner-session-id,"
        "x-sdk-session-id,x-submission-id,content-type"
    )
    response = await cors_sim.http.options("/coe-partner/v1/initiate-flow", headers=_preflight("POST", vendor_headers))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP
    assert {"GET", "POST", "PUT"} <= set(response.headers["access-control-allow-methods"].replace(" ", "").split(","))
    allowed = set(response.headers["access-control-allow-headers"].lower().replace(" ", "").split(","))
    assert set(vendor_headers.split(",")) <= allowed
    token = await cors_sim.http.options(
        "/v1/esign/partner/authentication", headers=_preflight("GET", "client-id,pass-key")
    )
    assert token.status_code == 200


async def test_the_storage_answers_preflights_and_exposes_the_etag(cors_sim: Sim) -> None:
    vendor = cors_sim.vendor()
    sdk = await vendor.launch("cors-upload")
    url = (await vendor.presign(sdk)).json()["data"]["documents"]["SELFIE"]["documentUrl"]
    preflight = await cors_sim.http.options(url, headers=_preflight("PUT", "content-type,content-md5"))
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == APP
    from simulator.client import sample_jpeg

    upload = await cors_sim.http.put(url, content=sample_jpeg(), headers={"origin": APP, "content-type": "image/jpeg"})
    assert upload.status_code == 200
    assert upload.headers["access-control-allow-origin"] == APP
    assert "etag" in upload.headers["access-control-expose-headers"].lower()


async def test_cors_answers_only_the_configured_origins_and_never_sim(cors_sim: Sim) -> None:
    stranger = await cors_sim.http.get("/v1/esign/partner/authentication", headers={"origin": "http://evil.example"})
    assert "access-control-allow-origin" not in stranger.headers
    allowed = await cors_sim.http.get("/v1/esign/partner/authentication", headers={"origin": APP})
    assert allowed.headers["access-control-allow-origin"] == APP
    admin = await cors_sim.http.get("/_sim/health", headers={"origin": APP})
    assert "access-control-allow-origin" not in admin.headers
    admin_preflight = await cors_sim.http.options("/_sim/reset", headers=_preflight("POST", "content-type"))
    assert "access-control-allow-origin" not in admin_preflight.headers


async def test_a_refused_preflight_answers_the_vendor_envelope(cors_sim: Sim) -> None:
    path = "/coe-partner/v1/initiate-flow"
    for headers in (
        _preflight("DELETE", "content-type"),
        _preflight("POST", "x-foo"),
        {**_preflight("POST", "content-type"), "origin": "http://evil.example"},
    ):
        response = await cors_sim.http.options(path, headers=headers)
        assert response.status_code == 400, response.text
        assert response.json() == {
            "success": False,
            "errors": [{"code": "400", "cause": "CORS_PREFLIGHT_REJECTED"}],
        }


def test_cors_origins_come_from_the_flag_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    args = build_parser().parse_args(
        ["serve", "--cors-origin", "http://a.test", "--cors-origin", "https://b.test:8443/"]
    )
    assert settings_from(args).cors_origins == ["http://a.test", "https://b.test:8443"]
    assert settings_from(build_parser().parse_args(["serve"])).cors_origins == []
    monkeypatch.setenv("ONEKYC_SIM_CORS_ORIGINS", "http://a.test, http://c.test")
    assert Settings().cors_origins == ["http://a.test", "http://c.test"]
    with pytest.raises(ValidationError, match="not an origin"):
        Settings(cors_origins=["http://a.test/app"])


# -- deeply nested bodies -------------------------------------------------------------------------------


async def _journaled(sim: Sim, method: str, path: str) -> list[dict[str, Any]]:
    await sim.services.journal.flush()
    body = (await sim.http.get("/_sim/requests", params={"order": "asc"})).json()
    return [r for r in body["requests"] if r["method"] == method and r["path"] == path]


async def test_a_deeply_nested_body_is_a_bad_request_and_is_journaled(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("deep")
    token = await vendor.ensure_partner_token()
    headers = {
        "x-onekyc-token": token,
        "x-onboarding-partner": "CLIENT_X-SDK-STANDALONE_LIVENESS",
        "x-partner-user-id": "u",
        "x-partner-user-id-type": "CLIENT_X_USER_ID",
        "x-partner-session-id": "deep-2",
        "content-type": "application/json",
    }
    initiate = await sim.http.post("/coe-partner/v1/initiate-flow", content=DEEP, headers=headers)
    assert (initiate.status_code, initiate.json()["errors"]) == (
        400,
        [{"code": "1539", "cause": "INVALID_REQUEST_BODY"}],
    )
    confirm = await sim.http.put(
        "/coe/v1/submissions/urls", content=DEEP, headers={**sdk.headers(), "content-type": "application/json"}
    )
    assert (confirm.status_code, confirm.json()["errors"]) == (
        400,
        [{"code": "1542", "cause": "INVALID_CONFIRM_UPLOAD_REQUEST"}],
    )
    initiates = await _journaled(sim, "POST", "/coe-partner/v1/initiate-flow")
    assert [r["status"] for r in initiates] == [200, 400]  # launch("deep"), then the nested body
    assert initiates[1]["request"]["size"] == len(DEEP)
    [journaled_confirm] = [r for r in await _journaled(sim, "PUT", "/coe/v1/submissions/urls") if r["status"] == 400]
    assert journaled_confirm["request"]["size"] == len(DEEP)
    assert sim.services.journal.dropped == 0


def test_a_journal_entry_that_cannot_be_built_is_kept_bare() -> None:
    def peek(token: str) -> Any:
        raise RuntimeError("token store unavailable")

    exchange = Exchange(
        at=1.0,
        kind="vendor",
        method="GET",
        path="/coe/v1/submissions/x/status",
        query=b"",
        headers=[(b"x-onekyc-token", b"eyJabc.def.ghi")],
        capture_bodies=True,
        status=200,
    )
    row = RowBuilder(peek, 2048)(exchange)  # a row, not an exception
    assert any(isinstance(v, str) and "RuntimeError while journaling" in v for v in row)
    assert "/coe/v1/submissions/x/status" in row


# -- ambiguous requests ----------------------------------------------------------------------------------


async def test_a_header_given_twice_two_ways_is_refused(sim: Sim, vendor: VendorClient) -> None:
    token = await sim.http.get(
        "/v1/esign/partner/authentication",
        headers=[("client-id", SAMPLE_CLIENT_ID), ("client-id", "someone-else"), ("pass-key", SAMPLE_PASS_KEY)],
    )
    assert (token.status_code, token.json()["errors"][0]) == (400, {"code": "1650", "cause": "AMBIGUOUS_CLIENT_ID"})
    coe = await sim.http.get(
        "/v1/coe/partner/authentication",
        headers=[("client-id", SAMPLE_CLIENT_ID), ("pass-key", SAMPLE_PASS_KEY), ("pass-key", "x")],
    )
    assert (coe.status_code, coe.json()["errors"][0]["cause"]) == (400, "AMBIGUOUS_PASS_KEY")
    same = await sim.http.get(
        "/v1/esign/partner/authentication",
        headers=[("client-id", SAMPLE_CLIENT_ID), ("client-id", SAMPLE_CLIENT_ID), ("pass-key", SAMPLE_PASS_KEY)],
    )
    assert same.status_code == 200  # the same value twice is not ambiguous

    partner_token = await vendor.ensure_partner_token()
    base = [
        ("x-onekyc-token", partner_token),
        ("x-onboarding-partner", "CLIENT_X-SDK-STANDALONE_LIVENESS"),
        ("x-partner-user-id", "u"),
        ("x-partner-user-id-type", "CLIENT_X_USER_ID"),
        ("content-type", "application/json"),
    ]
    initiate = await sim.http.post(
        "/coe-partner/v1/initiate-flow",
        headers=[*base, ("x-partner-session-id", "one"), ("x-partner-session-id", "two")],
        json={"flow": "STANDALONE_LIVENESS", "source": "SDK"},
    )
    assert (initiate.status_code, initiate.json()["errors"][0]) == (
        400,
        {"code": "1539", "cause": "AMBIGUOUS_X_PARTNER_SESSION_ID"},
    )
    for session in ("one", "two"):
        details = await vendor.details(partner_session_id=session)
        assert details.status_code == 400  # no session was created under either id

    sdk = await vendor.launch("ambiguous-sdk")
    other = await vendor.launch("ambiguous-other")
    status = await sim.http.get(
        "/coe/v1/submissions/abc/status",
        headers=[*sdk.headers().items(), ("x-onekyc-token", other.token)],
    )
    assert (status.status_code, status.json()["errors"][0]["cause"]) == (400, "AMBIGUOUS_X_ONEKYC_TOKEN")
    details = await sim.http.get(
        "/coe/v1/submissions",
        headers=[("x-onekyc-token", partner_token), ("x-submission-id", "a"), ("x-submission-id", "b")],
    )
    assert (details.status_code, details.json()["errors"][0]) == (
        400,
        {"code": 1550, "cause": "AMBIGUOUS_X_SUBMISSION_ID"},
    )


async def test_a_query_parameter_given_twice_two_ways_is_refused(sim: Sim, vendor: VendorClient) -> None:
    sdk = await vendor.launch("ambiguous-query")
    response = await sim.http.get(
        "/coe/v1/submissions/urls?submissionType=STANDALONE_LIVENESS&submissionType=KTP_SCAN", headers=sdk.headers()
    )
    assert (response.status_code, response.json()["errors"][0]) == (
        400,
        {"code": "1542", "cause": "AMBIGUOUS_SUBMISSION_TYPE"},
    )


async def test_the_admin_guard_refuses_two_different_authorizations(
    sim_factory: SimFactory, settings: Settings
) -> None:
    guarded = await sim_factory(settings.model_copy(update={"admin_token": "right"}))
    both = [("authorization", "Bearer right"), ("authorization", "Bearer wrong")]
    assert (await guarded.http.get("/_sim/sessions", headers=both)).status_code == 401
    assert (await guarded.http.get("/_sim/sessions", headers=list(reversed(both)))).status_code == 401
    assert (await guarded.http.get("/_sim/sessions", headers=[both[0]])).status_code == 200


async def test_two_different_partner_credentials_on_sim_are_refused(sim: Sim) -> None:
    # No admin token: a request without credentials is the admin's, but an ambiguous one is nobody's.
    two = [("client-id", SAMPLE_CLIENT_ID), ("client-id", "someone-else"), ("pass-key", SAMPLE_PASS_KEY)]
    assert (await sim.http.get("/_sim/sessions", headers=two)).status_code == 401
    assert (await sim.http.get("/_sim/sessions", headers=two[::2])).status_code == 200


async def test_a_journaled_ambiguous_request_names_no_one(sim: Sim) -> None:
    await sim.http.get(
        "/v1/esign/partner/authentication",
        headers=[("client-id", SAMPLE_CLIENT_ID), ("client-id", "someone-else"), ("pass-key", SAMPLE_PASS_KEY)],
    )
    [entry] = await _journaled(sim, "GET", "/v1/esign/partner/authentication")
    assert (entry["status"], entry["clientId"]) == (400, None)


# -- the flow and the onboarding partner --------------------------------------------------------------------


async def test_a_flow_that_contradicts_the_onboarding_partner_is_invalid_flow(sim: Sim, vendor: VendorClient) -> None:
    response = await vendor.initiate("ktp-under-liveness", body={"flow": "KTP_SCAN", "source": "SDK"})
    assert (response.status_code, response.json()["errors"][0]) == (400, {"code": "1539", "cause": "INVALID_FLOW"})
    assert (await vendor.details(partner_session_id="ktp-under-liveness")).status_code == 400
    face = await vendor.initiate(
        "face",
        onboarding_partner="CLIENT_X-SDK-COE_FACE_VERIFICATION",
        body={"flow": "FACE_VERIFICATION", "source": "SDK"},
    )
    assert face.status_code == 200


def test_the_flow_an_onboarding_partner_names() -> None:
    assert flow_of_onboarding_partner("CLIENT_X-SDK-STANDALONE_LIVENESS") == "STANDALONE_LIVENESS"
    assert flow_of_onboarding_partner("CLIENT_X-WEB_SDK-COE_FACE_VERIFICATION") == "FACE_VERIFICATION"
    assert flow_of_onboarding_partner("CLIENT_X-WEB_SDK-STANDALONE_IDENTITY_VERIFICATION") is None
    assert flow_of_onboarding_partner("STANDALONE_LIVENESS") is None
    assert flow_of_onboarding_partner("MY_PARTNER") is None
