"""`/_sim/openapi.json`: a valid OpenAPI document of the vendor endpoints (and aliases), storage and `/_sim`."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import BASE_URL, Sim
from openapi_spec_validator import validate
from starlette.routing import Route
from vendor_schema import VENDOR_OPENAPI_DIR, VENDOR_ROUTES

from simulator.openapi.document import HERE, VENDOR_FILES

pytestmark = pytest.mark.anyio


@pytest.fixture
async def document(sim: Sim) -> dict[str, Any]:
    response = await sim.http.get("/_sim/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


async def test_it_is_a_valid_openapi_document(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.0")
    assert document["servers"] == [{"url": BASE_URL}]


async def test_every_vendor_path_and_alias_is_described(document: dict[str, Any]) -> None:
    for route in VENDOR_ROUTES:
        for path in route.paths:
            operation = document["paths"][path][route.method.lower()]
            assert operation["x-vendor-reference"] == route.file.removesuffix(".json")
            assert operation["responses"]["200"]
    storage = document["paths"]["/storage/{flow}/{reference}"]
    assert set(storage) >= {"put", "get"}
    status = document["paths"]["/coe/v1/submissions/{submissionId}/status"]["get"]
    schema_ref = status["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert schema_ref == "#/components/schemas/StatusGetSubmissionStatusSuccessResponse"


async def test_every_sim_route_is_described(sim: Sim, document: dict[str, Any]) -> None:
    described = {(_shape(path), method) for path, item in document["paths"].items() for method in item}
    for route in sim.app.routes:
        if isinstance(route, Route) and route.path.startswith("/_sim") and route.methods:
            for method in route.methods - {"HEAD"}:
                assert (_shape(route.path), method.lower()) in described, (
                    f"{method} {route.path} is not in openapi.json"
                )
    verify = document["paths"]["/_sim/verify"]["post"]
    assert verify["security"] == [{"adminToken": []}, {"partnerClientId": [], "partnerPassKey": []}, {}]
    assert verify["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("VerifyResult")


def test_the_packaged_vendor_files_are_the_published_ones() -> None:
    for vendor in VENDOR_FILES:
        packaged = (HERE / "vendor" / vendor.file).read_bytes()
        assert packaged == (VENDOR_OPENAPI_DIR / vendor.file).read_bytes(), vendor.file
    assert {v.file for v in VENDOR_FILES} == {r.file for r in VENDOR_ROUTES}
    assert sorted(p.name for p in (HERE / "vendor").iterdir()) == sorted(v.file for v in VENDOR_FILES)
