"""Helpers of the outbound-call tests: partner callback config, a finished submission, the callback schema.

The callback body is checked against the vendor's only published callback schema
(`vendor_openapi/partnercallback-6.json`, `SubmissionData`): every field, its type and the status /
result enums. That schema is the eSign callback's, whose `reasonCode` enum lists eSign reasons
(FRAUD_REJECT, NOT_EKTP, ...); the COE flow (Selfie Liveness) reports COE reason codes, so the enum is
replaced by the COE ones Get Submission Details documents: "", NOT_LIVE, FACE_MATCH_FAILED,
REFERENCE_IMAGE_VALIDATION_FAILED, DOCUMENT_NOT_FOUND, INVALID_DOCUMENT, VERIFICATION_FAILED.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from conftest import BASE_URL, Sim, _validate
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry
from referencing.jsonschema import DRAFT4
from vendor_schema import load_vendor_spec

from simulator.app import create_app
from simulator.client import VendorClient
from simulator.partners import SAMPLE_CLIENT_ID
from simulator.settings import Settings

COE_REASON_CODES = [
    "",
    "NOT_LIVE",
    "FACE_MATCH_FAILED",
    "REFERENCE_IMAGE_VALIDATION_FAILED",
    "DOCUMENT_NOT_FOUND",
    "INVALID_DOCUMENT",
    "VERIFICATION_FAILED",
]
_URI = "urn:onekyc-test:partnercallback-6.json"


@functools.cache
def _callback_validator() -> Any:
    spec = copy.deepcopy(load_vendor_spec("partnercallback-6.json"))
    spec["components"]["schemas"]["SubmissionData"]["properties"]["reasonCode"]["enum"] = COE_REASON_CODES
    registry: Registry[Any] = Registry().with_resource(_URI, DRAFT4.create_resource(spec))
    return OAS30Validator(
        {"$ref": f"{_URI}#/components/schemas/SubmissionData"}, registry=registry, format_checker=oas30_format_checker
    )


def assert_valid_callback_body(body: dict[str, Any]) -> None:
    errors = [f"{e.json_path}: {e.message}" for e in _callback_validator().iter_errors(body)]
    assert not errors, f"callback body does not match the vendor callback schema: {errors}"
    documented = set(
        load_vendor_spec("partnercallback-6.json")["components"]["schemas"]["SubmissionData"]["properties"]
    )
    assert set(body) <= documented, f"undocumented callback fields: {set(body) - documented}"


async def set_callback(sim: Sim, client_id: str = SAMPLE_CLIENT_ID, **fields: Any) -> dict[str, Any]:
    """PATCH the partner's callback config through the control API; the updated partner."""
    response = await sim.http.patch(f"/_sim/partners/{client_id}/callback", json=fields)
    assert response.status_code == 200, response.text
    partner: dict[str, Any] = response.json()
    return partner


async def finished_submission(sim: Sim, vendor: VendorClient, session_id: str, **launch: Any) -> str:
    """Launch, capture and let processing end (the callback's first attempt runs in the same advance)."""
    sdk = await vendor.launch(session_id, **launch)
    submission_id = await vendor.capture(sdk)
    await sim.advance(2)
    return submission_id


async def callbacks_of(sim: Sim, **filters: str) -> list[dict[str, Any]]:
    response = await sim.http.get("/_sim/callbacks", params=filters)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["callbacks"]
    return found


async def callback(sim: Sim, callback_id: str) -> dict[str, Any]:
    response = await sim.http.get(f"/_sim/callbacks/{callback_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


@asynccontextmanager
async def running_sim(settings: Settings) -> AsyncIterator[Sim]:
    """A simulator that is shut down (lifespan end) when the block ends: to test a restart."""
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE_URL, event_hooks={"response": [_validate]}
        ) as http,
    ):
        yield Sim(app, http)
