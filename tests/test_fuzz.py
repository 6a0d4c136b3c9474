"""Fuzzing every vendor endpoint from the simulator's own OpenAPI (`/_sim/openapi.json`) with schemathesis.

The simulator runs for real (uvicorn on a free port). Each generated request is sent twice: as
generated, and with valid credentials swapped in (a partner token, or a user token with its partner
session), so the fuzzing reaches past authentication. Whatever comes in, nothing may answer 5xx and
every error must be the vendor envelope `{"success": false, "errors": [{"code", "cause"}, ...]}` (the
storage's, S3's XML `<Error>` with a `Code` and a `RequestId`).

`make test` runs a bounded number of examples per operation; `make fuzz` runs many more
(FUZZ_EXAMPLES, default 25 here). Generation is derandomized, so a failure reproduces.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from simulator.client import sample_jpeg
from simulator.partners import SAMPLE_CLIENT_ID, SAMPLE_PASS_KEY
from simulator.settings import Settings
from simulator.testing_server import simulator_in_thread

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
VENDOR_PATHS = r"^/(v1|v2|coe|coe-partner|storage)/"
PARTNER_OPERATIONS = ("/initiate-flow", "/v1/submissions")


@dataclass
class Credentials:
    partner_token: str
    user_token: str
    partner_session_id: str


@dataclass
class FuzzTarget:
    base_url: str
    credentials: Credentials


def _credentials(base_url: str) -> Credentials:
    with httpx.Client(base_url=base_url) as http:
        auth = http.get(
            "/v1/esign/partner/authentication", headers={"client-id": SAMPLE_CLIENT_ID, "pass-key": SAMPLE_PASS_KEY}
        )
        partner_token = auth.json()["data"]["token"]
        flow = http.post(
            "/coe-partner/v1/initiate-flow",
            headers={
                "x-onekyc-token": partner_token,
                "x-onboarding-partner": "CLIENT_X-SDK-STANDALONE_LIVENESS",
                "x-partner-user-id": "fuzz-user",
                "x-partner-user-id-type": "CLIENT_X_USER_ID",
                "x-partner-session-id": "fuzz-session",
            },
            json={"flow": "STANDALONE_LIVENESS", "source": "SDK"},
        )
        user_token = flow.json()["data"]["token"]
        sdk = {"x-onekyc-token": user_token, "x-partner-session-id": "fuzz-session", "x-sdk-session-id": "sdk-fuzz"}
        presigned = http.get(
            "/coe/v1/submissions/urls", params={"submissionType": "STANDALONE_LIVENESS"}, headers=sdk
        ).json()["data"]
        http.put(presigned["documents"]["SELFIE"]["documentUrl"], content=sample_jpeg())
    return Credentials(partner_token, user_token, "fuzz-session")


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    database = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    with simulator_in_thread(Settings(database=str(database), frozen_clock=True, log_level="ERROR")) as running:
        yield FuzzTarget(running.base_url, _credentials(running.base_url))


@pytest.fixture(scope="module")
def vendor_schema(fuzz_target: FuzzTarget) -> Any:
    schema = schemathesis.openapi.from_url(f"{fuzz_target.base_url}/_sim/openapi.json")
    return schema.include(path_regex=VENDOR_PATHS)


OPERATIONS = [
    ("GET", "/v1/esign/partner/authentication"),
    ("GET", "/v1/coe/partner/authentication"),
    ("GET", "/v2/coe/authentication"),
    ("POST", "/coe-partner/v1/initiate-flow"),
    *(
        (method, f"{prefix}/urls")
        for prefix in ("/coe/v1/submissions", "/coe-partner/v1/submissions")
        for method in ("GET", "PUT")
    ),
    ("GET", "/coe-partner/v1/submissions/url"),
    ("PUT", "/coe-partner/v1/submissions/url"),
    ("GET", "/coe/v1/submissions/{submissionId}/status"),
    ("GET", "/coe-partner/v1/submissions/{submissionId}/status"),
    ("GET", "/coe/v1/submissions"),
    ("GET", "/coe-partner/v1/submissions"),
    ("PUT", "/storage/{flow}/{reference}"),
    ("GET", "/storage/{flow}/{reference}"),
]


def _with_credentials(case: Any, credentials: Credentials) -> dict[str, str] | None:
    headers = {k.lower() for k in (case.headers or {})}
    if "x-onekyc-token" not in headers and not case.path.startswith(("/coe", "/coe-partner")):
        return None
    if case.path.endswith(PARTNER_OPERATIONS):
        return {"x-onekyc-token": credentials.partner_token}
    return {
        "x-onekyc-token": credentials.user_token,
        "x-partner-session-id": credentials.partner_session_id,
        "x-sdk-session-id": "sdk-fuzz",
    }


def _check(response: Any, label: str) -> None:
    where = f"{label}: {response.request.method} {response.request.url} -> {response.status_code} {response.text[:300]}"
    assert response.status_code < 500, where
    if response.status_code >= 400 and urlsplit(str(response.request.url)).path.startswith("/storage/"):
        content_type = response.headers.get("content-type") or ""
        assert "application/xml" in str(content_type), where
        root = ElementTree.fromstring(response.content)
        assert root.tag == "Error", where
        assert root.findtext("Code"), where
        assert root.findtext("RequestId"), where
    elif response.status_code >= 400:
        body = response.json()
        assert body.get("success") is False, where
        errors = body.get("errors")
        assert isinstance(errors, list), where
        assert errors, where
        assert all(isinstance(e, dict) and "code" in e and isinstance(e.get("cause"), str) for e in errors), where


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_vendor_endpoint_answers_5xx_or_leaves_the_envelope(
    vendor_schema: Any, fuzz_target: FuzzTarget, method: str, path: str
) -> None:
    operation = vendor_schema[path][method]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def fuzz(case: Any) -> None:
        _check(case.call(base_url=fuzz_target.base_url, timeout=30), "as generated")
        valid = _with_credentials(case, fuzz_target.credentials)
        if valid is not None:
            case.headers = {**{k: v for k, v in (case.headers or {}).items() if k.lower() not in valid}, **valid}
            _check(case.call(base_url=fuzz_target.base_url, timeout=30), "with valid credentials")

    fuzz()


def test_the_fuzzed_schema_covers_every_vendor_endpoint(vendor_schema: Any) -> None:
    paths = {result.ok().path for result in vendor_schema.get_all_operations()}
    assert paths == {path for _, path in OPERATIONS}
    assert not any(p.startswith("/_sim") for p in paths)
