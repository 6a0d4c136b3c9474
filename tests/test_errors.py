"""Every documented error case, per endpoint, table-driven: status, code (with its JSON type) and cause.

Each case builds one request from a working baseline by removing or spoiling one thing. The conftest
client also validates every body against the vendor schema of its endpoint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from conftest import Sim

from simulator.client import SdkSession, VendorClient, sample_jpeg
from simulator.partners import SAMPLE_CLIENT_ID, SAMPLE_PASS_KEY

pytestmark = pytest.mark.anyio

CREDENTIALS = {"client-id": SAMPLE_CLIENT_ID, "pass-key": SAMPLE_PASS_KEY}


@dataclass
class World:
    """A session mid-flow: tokens, an open submission with an uploaded selfie, and a finished one."""

    sim: Sim
    vendor: VendorClient
    partner_token: str
    sdk: SdkSession
    open_submission: str
    done_sdk: SdkSession
    done_submission: str
    extra: dict[str, Any] = field(default_factory=dict)

    def sdk_headers(self, **changes: str | None) -> dict[str, str]:
        headers: dict[str, str | None] = {**self.sdk.headers(), **changes}
        return {k: v for k, v in headers.items() if v is not None}


@pytest.fixture
async def world(sim: Sim) -> World:
    vendor = sim.vendor()
    partner_token = await vendor.ensure_partner_token()
    done_sdk = await vendor.launch("errors-done", sdk_session_id="sdk-done")
    done_submission = await vendor.capture(done_sdk)
    await sim.advance(5)
    sdk = await vendor.launch("errors-open")
    presigned = (await vendor.presign(sdk)).json()["data"]
    await vendor.upload(presigned["documents"]["SELFIE"]["documentUrl"], sample_jpeg())
    return World(sim, vendor, partner_token, sdk, presigned["submissionId"], done_sdk, done_submission)


Request = Callable[[World], Awaitable[httpx.Response]]


def token_request(path: str, headers: dict[str, str]) -> Request:
    async def send(w: World) -> httpx.Response:
        return await w.sim.http.get(path, headers=headers)

    return send


def initiate(*, drop: str | None = None, token: str | None = "partner", body: Any = None, **headers: str) -> Request:
    async def send(w: World) -> httpx.Response:
        values = {
            "x-onekyc-token": {"partner": w.partner_token, "user": w.sdk.token, None: None}.get(token, token),
            "x-onboarding-partner": "CLIENT_X-SDK-STANDALONE_LIVENESS",
            "x-partner-user-id": "user-1",
            "x-partner-user-id-type": "CLIENT_X_USER_ID",
            "x-partner-session-id": "errors-new",
            **headers,
        }
        sent = {k: v for k, v in values.items() if v is not None and k != drop}
        payload = {"flow": "STANDALONE_LIVENESS", "source": "SDK"} if body is None else body
        if isinstance(payload, bytes):
            return await w.sim.http.post("/coe-partner/v1/initiate-flow", headers=sent, content=payload)
        return await w.sim.http.post("/coe-partner/v1/initiate-flow", headers=sent, json=payload)

    return send


def sdk_get(path: str, **changes: str | None) -> Request:
    async def send(w: World) -> httpx.Response:
        headers = w.sdk_headers(**{k.replace("_", "-"): v for k, v in changes.items()})
        resolved = path.format(open=w.open_submission, done=w.done_submission)
        return await w.sim.http.get(resolved, headers=headers)

    return send


def confirm(body: Any = "open", **changes: str | None) -> Request:
    async def send(w: World) -> httpx.Response:
        headers = w.sdk_headers(**{k.replace("_", "-"): v for k, v in changes.items()})
        payload = (
            {"open": {"submissionId": w.open_submission}, "done": {"submissionId": w.done_submission}}.get(body, body)
            if isinstance(body, str)
            else body
        )
        if isinstance(payload, bytes):
            return await w.sim.http.put("/coe/v1/submissions/urls", headers=headers, content=payload)
        return await w.sim.http.put("/coe/v1/submissions/urls", headers=headers, json=payload)

    return send


def details(token: str = "partner", **headers: str) -> Request:
    async def send(w: World) -> httpx.Response:
        values = {"x-onekyc-token": {"partner": w.partner_token, "user": w.sdk.token}.get(token, token), **headers}
        values = {k: v.format(open=w.open_submission, done=w.done_submission) for k, v in values.items() if v}
        return await w.sim.http.get("/coe/v1/submissions", headers=values)

    return send


def foreign_submission() -> Request:
    async def send(w: World) -> httpx.Response:
        return await w.sim.http.put(
            "/coe/v1/submissions/urls", headers=w.sdk.headers(), json={"submissionId": w.done_submission}
        )

    return send


CASES: list[tuple[str, Request, int, Any, str]] = [
    # Token Gateway, esign page: code 1650, both causes listed.
    ("esign-no-headers", token_request("/v1/esign/partner/authentication", {}), 400, "1650", "MISSING_CLIENT_ID"),
    (
        "esign-no-pass-key",
        token_request("/v1/esign/partner/authentication", {"client-id": SAMPLE_CLIENT_ID}),
        400,
        "1650",
        "MISSING_PASS_KEY",
    ),
    (
        "esign-wrong-pass-key",
        token_request("/v1/esign/partner/authentication", {"client-id": SAMPLE_CLIENT_ID, "pass-key": "nope"}),
        401,
        "110",
        "UNAUTHORIZED",
    ),
    (
        "esign-unknown-client",
        token_request("/v1/esign/partner/authentication", {"client-id": "x", "pass-key": SAMPLE_PASS_KEY}),
        401,
        "110",
        "UNAUTHORIZED",
    ),
    # Token Gateway, coe page: code 1539 with entity.
    (
        "coe-no-client-id",
        token_request("/v1/coe/partner/authentication", {"pass-key": SAMPLE_PASS_KEY}),
        400,
        "1539",
        "CLIENT_ID_CAN_NOT_BE_EMPTY",
    ),
    (
        "coe-blank-pass-key",
        token_request("/v1/coe/partner/authentication", {"client-id": SAMPLE_CLIENT_ID, "pass-key": "  "}),
        400,
        "1539",
        "PASS_KEY_CAN_NOT_BE_EMPTY",
    ),
    (
        "coe-wrong-pass-key",
        token_request("/v1/coe/partner/authentication", {"client-id": SAMPLE_CLIENT_ID, "pass-key": "x"}),
        401,
        "110",
        "UNAUTHORIZED",
    ),
    # Token Gateway, v2 user token: integer codes.
    ("v2-no-credentials", token_request("/v2/coe/authentication", {}), 400, 1539, "MISSING_CLIENT_ID_OR_PASS_KEY"),
    (
        "v2-no-onboarding-partner",
        token_request("/v2/coe/authentication", CREDENTIALS),
        400,
        1539,
        "COE_PARTNER_CAN_NOT_BE_EMPTY",
    ),
    (
        "v2-wrong-pass-key",
        token_request(
            "/v2/coe/authentication",
            {
                "client-id": SAMPLE_CLIENT_ID,
                "pass-key": "x",
                "x-onboarding-partner": "CLIENT_X-SDK-STANDALONE_LIVENESS",
                "x-partner-user-id": "u",
                "x-partner-user-id-type": "t",
            },
        ),
        401,
        110,
        "UNAUTHORIZED",
    ),
    (
        "v2-foreign-onboarding-partner",
        token_request(
            "/v2/coe/authentication",
            {
                **CREDENTIALS,
                "x-onboarding-partner": "OTHER-SDK-STANDALONE_LIVENESS",
                "x-partner-user-id": "u",
                "x-partner-user-id-type": "t",
            },
        ),
        403,
        110,
        "ONBOARDING_PARTNER_DOES_NOT_BELONG_TO_CLIENT",
    ),
    # Initiate Flow.
    ("initiate-no-token", initiate(token=None), 401, "110", "UNAUTHORIZED"),
    ("initiate-garbage-token", initiate(token="not-a-jwt"), 401, "110", "UNAUTHORIZED"),
    ("initiate-user-token", initiate(token="user"), 401, "110", "UNAUTHORIZED"),
    (
        "initiate-no-onboarding-partner",
        initiate(drop="x-onboarding-partner"),
        400,
        "1539",
        "COE_PARTNER_CAN_NOT_BE_EMPTY",
    ),
    ("initiate-no-user-id", initiate(drop="x-partner-user-id"), 400, "1539", "PARTNER_USER_ID_CAN_NOT_BE_EMPTY"),
    (
        "initiate-no-user-id-type",
        initiate(drop="x-partner-user-id-type"),
        400,
        "1539",
        "PARTNER_USER_ID_TYPE_CAN_NOT_BE_EMPTY",
    ),
    (
        "initiate-no-session-id",
        initiate(drop="x-partner-session-id"),
        400,
        "1539",
        "X_PARTNER_SESSION_ID_CAN_NOT_BE_EMPTY",
    ),
    (
        "initiate-foreign-onboarding-partner",
        initiate(**{"x-onboarding-partner": "SOMEONE_ELSE-SDK-STANDALONE_LIVENESS"}),
        403,
        "110",
        "ONBOARDING_PARTNER_DOES_NOT_BELONG_TO_CLIENT",
    ),
    ("initiate-not-json", initiate(body=b"{nope"), 400, "1539", "INVALID_REQUEST_BODY"),
    ("initiate-json-array", initiate(body=[1, 2]), 400, "1539", "INVALID_REQUEST_BODY"),
    ("initiate-bad-flow", initiate(body={"flow": "SELFIE", "source": "SDK"}), 400, "1539", "INVALID_FLOW"),
    ("initiate-no-flow", initiate(body={"source": "SDK"}), 400, "1539", "INVALID_FLOW"),
    (
        "initiate-bad-source",
        initiate(body={"flow": "STANDALONE_LIVENESS", "source": "APP"}),
        400,
        "1539",
        "INVALID_SOURCE",
    ),
    (
        "initiate-bad-theme",
        initiate(body={"flow": "STANDALONE_LIVENESS", "source": "SDK", "theme": "PINK"}),
        400,
        "1539",
        "INVALID_THEME",
    ),
    (
        "initiate-bad-locale",
        initiate(body={"flow": "STANDALONE_LIVENESS", "source": "SDK", "additionalDetails": {"userLocale": "fr_FR"}}),
        400,
        "1539",
        "INVALID_USER_LOCALE",
    ),
    (
        "initiate-web-without-success-url",
        initiate(body={"flow": "STANDALONE_LIVENESS", "source": "WEB_SDK", "failureRedirectionUrl": "https://f"}),
        400,
        "1539",
        "SUCCESS_REDIRECTION_URL_CAN_NOT_BE_EMPTY",
    ),
    (
        "initiate-web-without-failure-url",
        initiate(body={"flow": "STANDALONE_LIVENESS", "source": "WEB_SDK", "successRedirectionUrl": "https://s"}),
        400,
        "1539",
        "FAILURE_REDIRECTION_URL_CAN_NOT_BE_EMPTY",
    ),
    (
        "initiate-duplicate-session",
        initiate(**{"x-partner-session-id": "errors-open"}),
        400,
        "1539",
        "DUPLICATE_PARTNER_SESSION_ID",
    ),
    # Presign.
    (
        "presign-no-token",
        sdk_get("/coe/v1/submissions/urls?submissionType=STANDALONE_LIVENESS", **{"x-onekyc-token": None}),
        400,
        "1539",
        "COE_PARTNER_CAN_NOT_BE_EMPTY",
    ),
    (
        "presign-no-session",
        sdk_get("/coe/v1/submissions/urls?submissionType=STANDALONE_LIVENESS", **{"x-partner-session-id": None}),
        400,
        "1539",
        "X_PARTNER_SESSION_ID_CAN_NOT_BE_EMPTY",
    ),
    (
        "presign-no-sdk-session",
        sdk_get("/coe/v1/submissions/urls?submissionType=STANDALONE_LIVENESS", **{"x-sdk-session-id": None}),
        400,
        "1539",
        "X_SDK_SESSION_ID_CAN_NOT_BE_EMPTY",
    ),
    (
        "presign-bad-token",
        sdk_get("/coe/v1/submissions/urls?submissionType=STANDALONE_LIVENESS", **{"x-onekyc-token": "eyJx.y.z"}),
        401,
        "110",
        "UNAUTHORIZED",
    ),
    (
        "presign-other-session",
        sdk_get(
            "/coe/v1/submissions/urls?submissionType=STANDALONE_LIVENESS", **{"x-partner-session-id": "errors-done"}
        ),
        403,
        "110",
        "FORBIDDEN",
    ),
    ("presign-no-type", sdk_get("/coe/v1/submissions/urls"), 400, "1542", "INVALID_SUBMISSION_TYPE"),
    (
        "presign-bad-type",
        sdk_get("/coe/v1/submissions/urls?submissionType=SELFIE"),
        400,
        "1542",
        "INVALID_SUBMISSION_TYPE",
    ),
    (
        "presign-other-flow-type",
        sdk_get("/coe/v1/submissions/urls?submissionType=KTP_SCAN"),
        400,
        "1542",
        "INVALID_SUBMISSION_TYPE",
    ),
    # Confirm.
    ("confirm-no-token", confirm(**{"x-onekyc-token": None}), 401, "110", "UNAUTHORIZED"),
    ("confirm-no-sdk-session", confirm(**{"x-sdk-session-id": None}), 400, "1539", "X_SDK_SESSION_ID_CAN_NOT_BE_EMPTY"),
    ("confirm-other-session-header", confirm(**{"x-partner-session-id": "errors-done"}), 403, "110", "FORBIDDEN"),
    ("confirm-not-json", confirm(body=b"]"), 400, "1542", "INVALID_CONFIRM_UPLOAD_REQUEST"),
    ("confirm-no-submission-id", confirm(body={"metadata": {}}), 400, "1542", "INVALID_CONFIRM_UPLOAD_REQUEST"),
    (
        "confirm-metadata-not-object",
        confirm(body={"submissionId": "x", "metadata": [1]}),
        400,
        "1542",
        "INVALID_CONFIRM_UPLOAD_REQUEST",
    ),
    ("confirm-unknown-submission", confirm(body={"submissionId": "nope"}), 404, "404", "SUBMISSION_DOES_NOT_EXIST"),
    ("confirm-foreign-submission", foreign_submission(), 403, "110", "FORBIDDEN"),
    # Status.
    (
        "status-no-token",
        sdk_get("/coe/v1/submissions/{open}/status", **{"x-onekyc-token": None}),
        400,
        "1539",
        "COE_PARTNER_CAN_NOT_BE_EMPTY",
    ),
    (
        "status-no-session",
        sdk_get("/coe/v1/submissions/{open}/status", **{"x-partner-session-id": None}),
        400,
        "1539",
        "X_PARTNER_SESSION_ID_CAN_NOT_BE_EMPTY",
    ),
    (
        "status-partner-token-as-user",
        sdk_get("/coe/v1/submissions/{open}/status", **{"x-onekyc-token": "PARTNER"}),
        401,
        "110",
        "UNAUTHORIZED",
    ),
    ("status-malformed-id", sdk_get("/coe/v1/submissions/bad id!/status"), 400, "1541", "INVALID_SUBMISSION_ID"),
    ("status-traversal-id", sdk_get("/coe/v1/submissions/..%2F..%2Fetc/status"), 400, "1541", "INVALID_SUBMISSION_ID"),
    (
        "status-unknown-id",
        sdk_get("/coe/v1/submissions/SUBMISSION_123/status"),
        404,
        "1543",
        "SUBMISSION_DOES_NOT_EXIST",
    ),
    (
        "status-other-sessions-submission",
        sdk_get("/coe/v1/submissions/{done}/status"),
        404,
        "1543",
        "SUBMISSION_DOES_NOT_EXIST",
    ),
    # Details (integer codes).
    ("details-no-token", details(token=""), 401, 110, "UNAUTHORIZED"),
    (
        "details-garbage-token",
        details(token="abc", **{"x-partner-session-id": "errors-done"}),
        401,
        110,
        "UNAUTHORIZED",
    ),
    ("details-user-token", details(token="user", **{"x-partner-session-id": "errors-done"}), 403, 903, "FORBIDDEN"),
    ("details-no-ids", details(), 400, 1550, "PARTNER_USER_ID_CAN_NOT_BE_EMPTY"),
    ("details-unknown-session", details(**{"x-partner-session-id": "nobody"}), 400, 1552, "SUBMISSION_DOES_NOT_EXIST"),
    ("details-unknown-submission", details(**{"x-submission-id": "nope"}), 400, 1552, "SUBMISSION_DOES_NOT_EXIST"),
    (
        "details-mismatch",
        details(**{"x-partner-session-id": "errors-open", "x-submission-id": "{done}"}),
        400,
        1553,
        "PARTNER_SESSION_ID_DOES_NOT_BELONG_TO_THE_USER",
    ),
]


@pytest.mark.parametrize(("case", "send", "status", "code", "cause"), CASES, ids=[c[0] for c in CASES])
async def test_documented_error(world: World, case: str, send: Request, status: int, code: Any, cause: str) -> None:
    if case == "status-partner-token-as-user":
        send = sdk_get("/coe/v1/submissions/{open}/status", **{"x-onekyc-token": world.partner_token})
    response = await send(world)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert {"code": code, "cause": cause} in [{"code": e["code"], "cause": e["cause"]} for e in body["errors"]]


async def test_both_missing_credentials_are_listed(client: httpx.AsyncClient) -> None:
    body = (await client.get("/v1/esign/partner/authentication")).json()
    assert body == {
        "success": False,
        "errors": [{"code": "1650", "cause": "MISSING_CLIENT_ID"}, {"code": "1650", "cause": "MISSING_PASS_KEY"}],
    }


async def test_coe_token_errors_carry_entity_and_null_data(client: httpx.AsyncClient) -> None:
    body = (await client.get("/v1/coe/partner/authentication", headers={"pass-key": "x"})).json()
    assert body == {
        "success": False,
        "data": None,
        "errors": [{"code": "1539", "entity": "ONEKYC_TOKEN_SERVICE", "cause": "CLIENT_ID_CAN_NOT_BE_EMPTY"}],
    }


async def test_confirm_state_errors(world: World) -> None:
    vendor = world.vendor
    fresh = await vendor.launch("errors-state")
    presigned = (await vendor.presign(fresh)).json()["data"]
    not_uploaded = await vendor.confirm(fresh, presigned["submissionId"])
    assert (not_uploaded.status_code, not_uploaded.json()["errors"][0]["cause"]) == (422, "INVALID_UPLOAD_ARTIFACT")

    assert (await vendor.confirm(world.sdk, world.open_submission)).status_code == 200
    again = await vendor.confirm(world.sdk, world.open_submission)
    assert again.status_code == 409
    assert again.json()["errors"] == [{"code": "409", "cause": "SUBMISSION_STATE_CONFLICT"}]

    finished = await vendor.confirm(world.done_sdk, world.done_submission)
    assert finished.status_code == 409


async def test_unknown_path_and_method_use_the_envelope(client: httpx.AsyncClient) -> None:
    missing = await client.get("/coe/v2/whatever")
    assert (missing.status_code, missing.json()["errors"][0]["cause"]) == (404, "PATH_NOT_FOUND")
    wrong = await client.delete("/coe/v1/submissions/urls")
    assert (wrong.status_code, wrong.json()["errors"][0]["cause"]) == (405, "METHOD_NOT_ALLOWED")
