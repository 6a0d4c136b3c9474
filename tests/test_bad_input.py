"""The bad-input matrix: each malformed, hostile or out-of-turn request gets its documented vendor error
(README "Error reference") and changes nothing: every table but the journal and the clock is compared
before and after, and so are the status answers of the submissions in play.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from conftest import BASE_URL, Sim, s3_error
from conftest import _validate as validate_vendor_response
from sqlalchemy import select

from simulator.app import create_app
from simulator.client import SdkSession, VendorClient, sample_jpeg
from simulator.partners import SAMPLE_CLIENT_ID, SAMPLE_PASS_KEY
from simulator.services.vendor_flow.presigned_urls import ObjectKey
from simulator.settings import Settings
from simulator.store import tables as t

pytestmark = pytest.mark.anyio

OTHER_CLIENT_ID = "11111111-2222-3333-4444-555555555555"
OTHER_PASS_KEY = "66666666-7777-8888-9999-000000000000"
OTHER_ONBOARDING = "OTHER-SDK-STANDALONE_LIVENESS"
UPLOAD_CAP = 64 * 1024
UNCHECKED_TABLES = {"journal", "meta", "instances"}  # instances: heartbeats, not request state
S3 = "s3"  # the storage answers S3's XML: the case's cause is its <Code>


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


def _settings(tmp: Path) -> Settings:
    partners = tmp / "partners.yaml"
    partners.write_text(
        yaml.safe_dump(
            {
                "partners": [
                    {
                        "client_id": OTHER_CLIENT_ID,
                        "pass_key": OTHER_PASS_KEY,
                        "onboarding_partners": [OTHER_ONBOARDING],
                    }
                ]
            }
        )
    )
    return Settings(
        database=str(tmp / "sim.db"),
        public_base_url=BASE_URL,
        frozen_clock=True,
        log_level="WARNING",
        config=partners,
        upload_max_bytes=UPLOAD_CAP,
    )


@pytest.fixture(scope="module")
async def module_sim(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Sim]:
    """One simulator for the whole matrix: every case checks that it changed nothing, so they can share it."""
    app = create_app(_settings(tmp_path_factory.mktemp("bad-input")))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=BASE_URL,
            event_hooks={"response": [validate_vendor_response]},
        ) as http,
    ):
        yield Sim(app, http)


@dataclass
class World:
    """Three sessions of the sample partner in three states, and one session of another partner."""

    sim: Sim
    partner_token: str
    expired_partner_token: str
    open: SdkSession  # its submission is INITIATED, the selfie uploaded
    open_id: str
    open_upload: str
    done: SdkSession  # its submission is confirmed (IN_PROGRESS)
    done_id: str
    done_upload: str
    empty: SdkSession  # its submission is INITIATED, nothing uploaded
    empty_id: str
    other: SdkSession  # the other partner's session
    other_partner_token: str

    def relative(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.path}?{parts.query}"


async def _presigned(vendor: VendorClient, sdk: SdkSession) -> tuple[str, str]:
    data = (await vendor.presign(sdk)).json()["data"]
    return data["submissionId"], data["documents"]["SELFIE"]["documentUrl"]


@pytest.fixture(scope="module")
async def world(module_sim: Sim) -> World:
    sim = module_sim
    vendor = sim.vendor()
    open_sdk = await vendor.launch("bad-open")
    open_id, open_upload = await _presigned(vendor, open_sdk)
    assert (await vendor.upload(open_upload, sample_jpeg())).status_code == 200
    done_sdk = await vendor.launch("bad-done")
    done_id, done_upload = await _presigned(vendor, done_sdk)
    await vendor.upload(done_upload, sample_jpeg())
    assert (await vendor.confirm(done_sdk, done_id)).status_code == 200
    empty_sdk = await vendor.launch("bad-empty")
    empty_id, _ = await _presigned(vendor, empty_sdk)
    other = sim.vendor(client_id=OTHER_CLIENT_ID, pass_key=OTHER_PASS_KEY, onboarding_partner=OTHER_ONBOARDING)
    other_sdk = await other.launch("other-session")
    expired = sim.services.tokens.issue("partner", SAMPLE_CLIENT_ID, -10).token
    return World(
        sim=sim,
        partner_token=await vendor.ensure_partner_token(),
        expired_partner_token=expired,
        open=open_sdk,
        open_id=open_id,
        open_upload=open_upload,
        done=done_sdk,
        done_id=done_id,
        done_upload=done_upload,
        empty=empty_sdk,
        empty_id=empty_id,
        other=other_sdk,
        other_partner_token=await other.ensure_partner_token(),
    )


@dataclass
class Req:
    method: str
    url: str
    headers: dict[str, Any] = field(default_factory=dict)
    content: bytes | None = None


@dataclass
class Case:
    id: str
    build: Callable[[World], Req]
    status: int
    code: str | int
    cause: str


def _tamper(token: str) -> str:
    head, payload, signature = token.split(".")
    return f"{head}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"


def _token_headers(client_id: str | None = SAMPLE_CLIENT_ID, pass_key: str | None = SAMPLE_PASS_KEY) -> dict[str, Any]:
    headers = {}
    if client_id is not None:
        headers["client-id"] = client_id
    if pass_key is not None:
        headers["pass-key"] = pass_key
    return headers


def _initiate(w: World, body: bytes, *, token: str | None = None, **headers: str) -> Req:
    base = {
        "x-onekyc-token": w.partner_token if token is None else token,
        "x-onboarding-partner": "CLIENT_X-SDK-STANDALONE_LIVENESS",
        "x-partner-user-id": "user-1",
        "x-partner-user-id-type": "CLIENT_X_USER_ID",
        "x-partner-session-id": "bad-new",
        "content-type": "application/json",
    }
    return Req("POST", "/coe-partner/v1/initiate-flow", {**base, **headers}, body)


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


FLOW = _json({"flow": "STANDALONE_LIVENESS", "source": "SDK"})
PRESIGN = "/coe/v1/submissions/urls?submissionType=STANDALONE_LIVENESS"


def _sdk(sdk: SdkSession, **overrides: str) -> dict[str, Any]:
    return {**sdk.headers(), **overrides}


def _without(headers: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in headers.items() if k != name}


def _confirm(w: World, body: bytes, sdk: SdkSession | None = None, content_type: str = "application/json") -> Req:
    return Req("PUT", "/coe/v1/submissions/urls", {**(sdk or w.open).headers(), "content-type": content_type}, body)


def _status(w: World, submission_id: str, sdk: SdkSession | None = None) -> Req:
    return Req("GET", f"/coe/v1/submissions/{submission_id}/status", (sdk or w.open).headers())


def _details(token: str, **headers: str) -> Req:
    return Req("GET", "/coe/v1/submissions", {"x-onekyc-token": token, **headers})


def _expired_upload(w: World) -> Req:
    svc = w.sim.services
    reference = urlsplit(w.open_upload).path.rsplit("/", 1)[1]
    old = svc.signer.sign("PUT", ObjectKey("STANDALONE_LIVENESS", reference), svc.clock.now() - 3600, 600)
    return Req("PUT", w.relative(old), {"content-type": "image/jpeg"}, sample_jpeg())


def _tampered_upload(w: World) -> Req:
    url = w.relative(w.open_upload)
    return Req("PUT", url[:-6] + ("000000" if not url.endswith("000000") else "111111"), {}, sample_jpeg())


def _upload_elsewhere(w: World, path: str) -> Req:
    return Req("PUT", f"{path}?{urlsplit(w.open_upload).query}", {"content-type": "image/jpeg"}, sample_jpeg())


CASES = [
    # -- Token Gateway --------------------------------------------------------------------------
    Case("esign-no-client-id", lambda w: Req("GET", "/v1/esign/partner/authentication", _token_headers(None)),
         400, "1650", "MISSING_CLIENT_ID"),
    Case("esign-no-credentials", lambda w: Req("GET", "/v1/esign/partner/authentication", {}),
         400, "1650", "MISSING_CLIENT_ID"),
    Case("esign-wrong-pass-key", lambda w: Req("GET", "/v1/esign/partner/authentication", _token_headers(
        pass_key="00000000-0000-0000-0000-000000000000")), 401, "110", "UNAUTHORIZED"),
    Case("esign-unicode-client-id", lambda w: Req("GET", "/v1/esign/partner/authentication", {
        "client-id": "klient-\u00e9\u00fc".encode(), "pass-key": SAMPLE_PASS_KEY}), 401, "110", "UNAUTHORIZED"),
    Case("esign-blank-client-id", lambda w: Req("GET", "/v1/esign/partner/authentication", _token_headers(" \t ")),
         400, "1650", "MISSING_CLIENT_ID"),
    Case("coe-no-pass-key", lambda w: Req("GET", "/v1/coe/partner/authentication", _token_headers(pass_key=None)),
         400, "1539", "PASS_KEY_CAN_NOT_BE_EMPTY"),
    Case("v2-no-credentials", lambda w: Req("GET", "/v2/coe/authentication", {}),
         400, 1539, "MISSING_CLIENT_ID_OR_PASS_KEY"),
    # -- Initiate Flow --------------------------------------------------------------------------
    Case("initiate-malformed-json", lambda w: _initiate(w, b'{"flow": "STANDALONE_LIVENESS",'),
         400, "1539", "INVALID_REQUEST_BODY"),
    Case("initiate-json-array", lambda w: _initiate(w, b"[1, 2]"), 400, "1539", "INVALID_REQUEST_BODY"),
    Case("initiate-form-body", lambda w: _initiate(w, b"flow=STANDALONE_LIVENESS&source=SDK",
                                                   **{"content-type": "application/x-www-form-urlencoded"}),
         400, "1539", "INVALID_REQUEST_BODY"),
    Case("initiate-not-utf8", lambda w: _initiate(w, b'{"flow": "\xff\xfe"}'), 400, "1539", "INVALID_REQUEST_BODY"),
    Case("initiate-huge-body", lambda w: _initiate(w, _json({"flow": "STANDALONE_LIVENESS", "pad": "x" * 400_000})),
         400, "1539", "INVALID_REQUEST_BODY"),
    Case("initiate-unknown-flow", lambda w: _initiate(w, _json({"flow": "../../etc", "source": "SDK"})),
         400, "1539", "INVALID_FLOW"),
    Case("initiate-unknown-source", lambda w: _initiate(w, _json({"flow": "STANDALONE_LIVENESS", "source": "\u0000"})),
         400, "1539", "INVALID_SOURCE"),
    Case("initiate-file-reference-url", lambda w: _initiate(w, _json({
        "flow": "STANDALONE_LIVENESS", "source": "SDK", "additionalDetails": {"referenceImageUrl": "file:///etc/passwd"}})),
         400, "1539", "INVALID_REFERENCE_IMAGE_URL"),
    Case("initiate-user-token", lambda w: _initiate(w, FLOW, token=w.open.token), 401, "110", "UNAUTHORIZED"),
    Case("initiate-tampered-token", lambda w: _initiate(w, FLOW, token=_tamper(w.partner_token)),
         401, "110", "UNAUTHORIZED"),
    Case("initiate-expired-token", lambda w: _initiate(w, FLOW, token=w.expired_partner_token),
         401, "110", "UNAUTHORIZED"),
    Case("initiate-huge-token-header", lambda w: _initiate(w, FLOW, token="e" * 65_536), 401, "110", "UNAUTHORIZED"),
    Case("initiate-other-partners-onboarding",
         lambda w: _initiate(w, FLOW, **{"x-onboarding-partner": OTHER_ONBOARDING}),
         403, "110", "ONBOARDING_PARTNER_DOES_NOT_BELONG_TO_CLIENT"),
    Case("initiate-duplicate-session", lambda w: _initiate(w, FLOW, **{"x-partner-session-id": "bad-open"}),
         400, "1539", "DUPLICATE_PARTNER_SESSION_ID"),
    Case("initiate-no-session-header", lambda w: _initiate(w, FLOW, **{"x-partner-session-id": "  "}),
         400, "1539", "X_PARTNER_SESSION_ID_CAN_NOT_BE_EMPTY"),
    # -- presign --------------------------------------------------------------------------------
    Case("presign-no-token", lambda w: Req("GET", PRESIGN, _without(w.open.headers(), "x-onekyc-token")),
         400, "1539", "COE_PARTNER_CAN_NOT_BE_EMPTY"),
    Case("presign-no-sdk-session", lambda w: Req("GET", PRESIGN, _without(w.open.headers(), "x-sdk-session-id")),
         400, "1539", "X_SDK_SESSION_ID_CAN_NOT_BE_EMPTY"),
    Case("presign-other-session-header",
         lambda w: Req("GET", PRESIGN, _sdk(w.open, **{"x-partner-session-id": "bad-done"})),
         403, "110", "FORBIDDEN"),
    Case("presign-other-partners-token",
         lambda w: Req("GET", PRESIGN, _sdk(w.other, **{"x-partner-session-id": "bad-open"})),
         403, "110", "FORBIDDEN"),
    Case("presign-partner-token", lambda w: Req("GET", PRESIGN, _sdk(w.open, **{"x-onekyc-token": w.partner_token})),
         401, "110", "UNAUTHORIZED"),
    Case("presign-no-type", lambda w: Req("GET", "/coe/v1/submissions/urls", w.open.headers()),
         400, "1542", "INVALID_SUBMISSION_TYPE"),
    Case("presign-other-flows-type", lambda w: Req("GET", "/coe/v1/submissions/urls?submissionType=KTP_SCAN",
                                                   w.open.headers()), 400, "1542", "INVALID_SUBMISSION_TYPE"),
    Case("presign-traversal-type", lambda w: Req("GET", "/coe/v1/submissions/urls?submissionType=..%2F..%2Fetc",
                                                 w.open.headers()), 400, "1542", "INVALID_SUBMISSION_TYPE"),
    # -- upload ---------------------------------------------------------------------------------
    Case("upload-tampered-signature", _tampered_upload, 403, S3, "SignatureDoesNotMatch"),
    Case("upload-no-signature", lambda w: Req("PUT", urlsplit(w.open_upload).path, {}, sample_jpeg()),
         403, S3, "AccessDenied"),
    Case("upload-expired-url", _expired_upload, 403, S3, "AccessDenied"),
    Case("upload-encoded-dot-segments", lambda w: _upload_elsewhere(w, "/storage/STANDALONE_LIVENESS/%2e%2e"),
         403, S3, "SignatureDoesNotMatch"),
    Case("upload-other-flow-same-signature", lambda w: _upload_elsewhere(
        w, urlsplit(w.open_upload).path.replace("/STANDALONE_LIVENESS/", "/KTP_SCAN/")),
         403, S3, "SignatureDoesNotMatch"),
    Case("upload-not-an-image", lambda w: Req("PUT", w.relative(w.open_upload), {"content-type": "image/jpeg"},
                                              b"<html>not a selfie</html>"), 422, S3, "INVALID_UPLOAD_ARTIFACT"),
    Case("upload-over-the-cap", lambda w: Req("PUT", w.relative(w.open_upload), {"content-type": "image/jpeg"},
                                              b"\xff" * (UPLOAD_CAP + 1)), 400, S3, "EntityTooLarge"),
    Case("upload-after-confirm", lambda w: Req("PUT", w.relative(w.done_upload), {"content-type": "image/jpeg"},
                                               sample_jpeg((1, 2, 3))), 409, S3, "SUBMISSION_STATE_CONFLICT"),
    # -- confirm --------------------------------------------------------------------------------
    Case("confirm-malformed-json", lambda w: _confirm(w, b'{"submissionId": '),
         400, "1542", "INVALID_CONFIRM_UPLOAD_REQUEST"),
    Case("confirm-form-body", lambda w: _confirm(w, f"submissionId={w.open_id}".encode(),
                                                 content_type="application/x-www-form-urlencoded"),
         400, "1542", "INVALID_CONFIRM_UPLOAD_REQUEST"),
    Case("confirm-number-id", lambda w: _confirm(w, b'{"submissionId": 42}'),
         400, "1542", "INVALID_CONFIRM_UPLOAD_REQUEST"),
    Case("confirm-metadata-list", lambda w: _confirm(w, _json({"submissionId": w.open_id, "metadata": [1]})),
         400, "1542", "INVALID_CONFIRM_UPLOAD_REQUEST"),
    Case("confirm-huge-body",
         lambda w: _confirm(w, _json({"submissionId": w.open_id, "metadata": {"p": "x" * 300_000}})),
         400, "1542", "INVALID_CONFIRM_UPLOAD_REQUEST"),
    Case("confirm-no-token", lambda w: Req("PUT", "/coe/v1/submissions/urls",
                                           _without(w.open.headers(), "x-onekyc-token"),
                                           _json({"submissionId": w.open_id})), 401, "110", "UNAUTHORIZED"),
    Case("confirm-unknown-id", lambda w: _confirm(w, _json({"submissionId": "00000000-0000-4000-8000-000000000000"})),
         404, "404", "SUBMISSION_DOES_NOT_EXIST"),
    Case("confirm-traversal-id", lambda w: _confirm(w, _json({"submissionId": f"../{w.open_id}"})),
         404, "404", "SUBMISSION_DOES_NOT_EXIST"),
    Case("confirm-other-sessions-submission", lambda w: _confirm(w, _json({"submissionId": w.empty_id})),
         403, "110", "FORBIDDEN"),
    Case("confirm-other-partners-token", lambda w: _confirm(w, _json({"submissionId": w.open_id}), w.other),
         404, "404", "SUBMISSION_DOES_NOT_EXIST"),
    Case("confirm-replayed", lambda w: _confirm(w, _json({"submissionId": w.done_id}), w.done),
         409, "409", "SUBMISSION_STATE_CONFLICT"),
    Case("confirm-before-upload", lambda w: _confirm(w, _json({"submissionId": w.empty_id}), w.empty),
         422, "422", "INVALID_UPLOAD_ARTIFACT"),
    # -- status ---------------------------------------------------------------------------------
    Case("status-unicode-id", lambda w: _status(w, "\u00e9t\u00e9"), 400, "1541", "INVALID_SUBMISSION_ID"),
    Case("status-control-char-id", lambda w: _status(w, "abc%00def"), 400, "1541", "INVALID_SUBMISSION_ID"),
    Case("status-encoded-traversal", lambda w: _status(w, "..%2F..%2Fetc%2Fpasswd"),
         400, "1541", "INVALID_SUBMISSION_ID"),
    Case("status-dot-dot", lambda w: _status(w, "%2e%2e"), 400, "1541", "INVALID_SUBMISSION_ID"),
    Case("status-overlong-id", lambda w: _status(w, "a" * 300), 400, "1541", "INVALID_SUBMISSION_ID"),
    Case("status-unknown-id", lambda w: _status(w, "00000000-0000-4000-8000-000000000000"),
         404, "1543", "SUBMISSION_DOES_NOT_EXIST"),
    Case("status-other-sessions-submission", lambda w: _status(w, w.done_id), 404, "1543", "SUBMISSION_DOES_NOT_EXIST"),
    Case("status-other-partners-token", lambda w: _status(w, w.open_id, w.other),
         404, "1543", "SUBMISSION_DOES_NOT_EXIST"),
    Case("status-expired-partner-token", lambda w: Req("GET", f"/coe/v1/submissions/{w.open_id}/status",
                                                       _sdk(w.open, **{"x-onekyc-token": w.expired_partner_token})),
         401, "110", "UNAUTHORIZED"),
    # -- Get Submission Details -----------------------------------------------------------------
    Case("details-no-ids", lambda w: _details(w.partner_token), 400, 1550, "PARTNER_USER_ID_CAN_NOT_BE_EMPTY"),
    Case("details-user-token", lambda w: _details(w.open.token, **{"x-partner-session-id": "bad-open"}),
         403, 903, "FORBIDDEN"),
    Case("details-expired-token", lambda w: _details(w.expired_partner_token, **{"x-partner-session-id": "bad-open"}),
         401, 110, "UNAUTHORIZED"),
    Case("details-unknown-session", lambda w: _details(w.partner_token, **{"x-partner-session-id": "../bad-open"}),
         400, 1552, "SUBMISSION_DOES_NOT_EXIST"),
    Case("details-submission-of-another-session", lambda w: _details(
        w.partner_token, **{"x-partner-session-id": "bad-open", "x-submission-id": w.done_id}),
         400, 1553, "PARTNER_SESSION_ID_DOES_NOT_BELONG_TO_THE_USER"),
    Case("details-other-partners-submission",
         lambda w: _details(w.other_partner_token, **{"x-submission-id": w.open_id}),
         400, 1552, "SUBMISSION_DOES_NOT_EXIST"),
    # -- anything else --------------------------------------------------------------------------
    Case("unknown-path", lambda w: Req("GET", "/coe/v1/../../etc/passwd", {}), 404, "404", "PATH_NOT_FOUND"),
    Case("wrong-method", lambda w: Req("DELETE", "/coe/v1/submissions/urls", w.open.headers()),
         405, "405", "METHOD_NOT_ALLOWED"),
]  # fmt: skip


async def _snapshot(sim: Sim) -> dict[str, Any]:
    """Every row of every table that holds state (not the journal, not the clock)."""
    await sim.services.journal.flush()
    state: dict[str, Any] = {}
    async with sim.services.repo.engine.connect() as conn:
        for name, table in t.metadata.tables.items():
            if name not in UNCHECKED_TABLES:
                state[name] = sorted(repr(tuple(row)) for row in await conn.execute(select(table)))
    return state


async def _observed(w: World) -> list[Any]:
    vendor = w.sim.vendor()
    answers = [
        await vendor.status(w.open, w.open_id),
        await vendor.status(w.done, w.done_id),
        await vendor.status(w.empty, w.empty_id),
    ]
    return [(r.status_code, r.json()) for r in answers]


def test_the_matrix_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_bad_input_gets_the_documented_error_and_changes_nothing(world: World, case: Case) -> None:
    before, seen_before = await _snapshot(world.sim), await _observed(world)
    request = case.build(world)
    response = await world.sim.http.request(
        request.method, request.url, headers=request.headers, content=request.content
    )
    assert response.status_code == case.status, response.text
    if case.code == S3:
        assert s3_error(response) == (case.status, case.cause)
    else:
        body = response.json()
        assert body["success"] is False
        assert {"code": body["errors"][0]["code"], "cause": body["errors"][0]["cause"]} == {
            "code": case.code,
            "cause": case.cause,
        }
    assert await _snapshot(world.sim) == before
    assert await _observed(world) == seen_before


async def test_the_world_is_what_the_matrix_assumes(world: World) -> None:
    states = [data["data"]["status"] for _, data in await _observed(world)]
    assert states == ["INITIATED", "IN_PROGRESS", "INITIATED"]
    before = await _snapshot(world.sim)
    await world.sim.vendor().launch("bad-probe")
    assert await _snapshot(world.sim) != before, "the snapshot must see a legitimate change"
