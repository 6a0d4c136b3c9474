"""Unit tests of the vendor-schema helper (tests/vendor_schema.py) against the vendor's own OpenAPI files."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator
from vendor_schema import (
    VENDOR_OPENAPI_DIR,
    VENDOR_ROUTES,
    load_vendor_spec,
    validate_response,
    vendor_operation,
)

# The mapping from the brief, written out independently of the module's own table.
URLS = "/coe/v1/submissions/urls"
STATUS_TEMPLATE = "/coe/v1/submissions/{submissionId}/status"
EXPECTED_MAPPING: list[tuple[str, str, str, str]] = [
    # method, concrete path, vendor file, OpenAPI path template
    ("GET", "/v1/coe/partner/authentication", "get_v1-coe-partner-authentication.json", ""),
    ("GET", "/v1/esign/partner/authentication", "getpartnertoken.json", ""),
    ("GET", "/v2/coe/authentication", "get_v2-coe-authentication.json", ""),
    ("POST", "/coe-partner/v1/initiate-flow", "post_coe-partner-v1-initiate-flow.json", ""),
    ("GET", URLS, "get_coe-partner-v1-submissions-url.json", URLS),
    ("GET", "/coe-partner/v1/submissions/urls", "get_coe-partner-v1-submissions-url.json", URLS),
    ("GET", "/coe-partner/v1/submissions/url", "get_coe-partner-v1-submissions-url.json", URLS),
    ("PUT", URLS, "put_coe-partner-v1-submissions-url.json", URLS),
    ("PUT", "/coe-partner/v1/submissions/urls", "put_coe-partner-v1-submissions-url.json", URLS),
    ("PUT", "/coe-partner/v1/submissions/url", "put_coe-partner-v1-submissions-url.json", URLS),
    ("GET", "/coe/v1/submissions/SUB-1/status", "getsubmissionstatus.json", STATUS_TEMPLATE),
    ("GET", "/coe-partner/v1/submissions/9f0c1e2a-77aa/status", "getsubmissionstatus.json", STATUS_TEMPLATE),
    ("GET", "/coe/v1/submissions", "get_coe-v1-submissions.json", ""),
    ("GET", "/coe-partner/v1/submissions", "get_coe-v1-submissions.json", "/coe/v1/submissions"),
]
"""An empty template means: the concrete path is the template."""
MAPPED_FILES = sorted({row[2] for row in EXPECTED_MAPPING})

# Published examples that do not validate against their own schema. Kept out of the positive check, and
# asserted to stay rejected below, so that nobody loosens the validator to make them pass.
KNOWN_BAD_EXAMPLES: dict[str, str] = {
    "getsubmissionstatus.json GET 200 examples.InProgress": (
        "vendor example has data.verificationResult: null, but the schema is "
        '{"$ref": "#/components/schemas/VerificationResult", "nullable": true}; OAS 3.0 ignores siblings of '
        "$ref and VerificationResult is a non-nullable object"
    ),
    "getsubmissionstatus.json GET 200 examples.Error": (
        "vendor example has data.verificationResult: null, but the schema is "
        '{"$ref": "#/components/schemas/VerificationResult", "nullable": true}; OAS 3.0 ignores siblings of '
        "$ref and VerificationResult is a non-nullable object"
    ),
}

STATUS_PATH = "/coe/v1/submissions/SUBMISSION_123/status"


def _deref(doc: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = doc
        for raw in node["$ref"].removeprefix("#/").split("/"):
            target = target[raw.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _concrete(template: str) -> str:
    return re.sub(r"\{[^/{}]+\}", "SUBMISSION_123", template)


@dataclass(frozen=True)
class VendorExample:
    file: str
    method: str
    template: str
    status: str
    where: str
    body: Any

    @property
    def id(self) -> str:
        return f"{self.file} {self.method} {self.status} {self.where}"


def _operations(file_name: str) -> list[tuple[str, str, dict[str, Any]]]:
    doc = load_vendor_spec(file_name)
    return [
        (method.upper(), template, operation)
        for template, item in doc["paths"].items()
        for method, operation in item.items()
        if method in {"get", "put", "post", "delete", "patch", "head", "options"}
    ]


def _collect_examples() -> list[VendorExample]:
    found: list[VendorExample] = []
    for file_name in MAPPED_FILES:
        doc = load_vendor_spec(file_name)
        for method, template, operation in _operations(file_name):
            for status, raw_response in operation["responses"].items():
                media = _deref(doc, raw_response).get("content", {}).get("application/json")
                if media is None:
                    continue
                here = (file_name, method, template, status)
                if "example" in media:
                    found.append(VendorExample(*here, "example", media["example"]))
                for name, example in media.get("examples", {}).items():
                    example = _deref(doc, example)
                    if "value" in example:
                        found.append(VendorExample(*here, f"examples.{name}", example["value"]))
                schema = _deref(doc, media.get("schema"))
                if isinstance(schema, dict) and "example" in schema:
                    found.append(VendorExample(*here, "schema.example", schema["example"]))
    return found


ALL_EXAMPLES = _collect_examples()


def _example_params() -> list[Any]:
    return [
        pytest.param(
            example,
            id=example.id,
            marks=[pytest.mark.skip(reason=KNOWN_BAD_EXAMPLES[example.id])] if example.id in KNOWN_BAD_EXAMPLES else [],
        )
        for example in ALL_EXAMPLES
    ]


# --- (a) the vendor's own examples ---------------------------------------------------------------------


@pytest.mark.parametrize("example", _example_params())
def test_vendor_example_validates(example: VendorExample) -> None:
    validate_response(example.method, _concrete(example.template), int(example.status), example.body)


def test_every_documented_response_has_an_example() -> None:
    documented = {
        (file_name, method, status)
        for file_name in MAPPED_FILES
        for method, _template, operation in _operations(file_name)
        for status in operation["responses"]
    }
    with_examples = {(e.file, e.method, e.status) for e in ALL_EXAMPLES}
    assert documented == with_examples
    assert len(ALL_EXAMPLES) >= 40


def test_known_bad_examples_exist_and_stay_rejected() -> None:
    by_id = {example.id: example for example in ALL_EXAMPLES}
    assert set(KNOWN_BAD_EXAMPLES) <= set(by_id)
    for example_id in KNOWN_BAD_EXAMPLES:
        example = by_id[example_id]
        expected = re.escape("$.data.verificationResult: None for not nullable")
        with pytest.raises(AssertionError, match=expected):
            validate_response(example.method, _concrete(example.template), int(example.status), example.body)


def test_known_bad_examples_pass_once_the_null_is_omitted() -> None:
    for example_id in KNOWN_BAD_EXAMPLES:
        example = next(e for e in ALL_EXAMPLES if e.id == example_id)
        body = copy.deepcopy(example.body)
        del body["data"]["verificationResult"]
        validate_response(example.method, _concrete(example.template), int(example.status), body)


@pytest.mark.parametrize("file_name", MAPPED_FILES)
def test_vendor_response_schemas_are_valid_oas30_schemas(file_name: str) -> None:
    doc = load_vendor_spec(file_name)
    schemas = list(doc.get("components", {}).get("schemas", {}).values())
    for _method, _template, operation in _operations(file_name):
        for raw_response in operation["responses"].values():
            media = _deref(doc, raw_response).get("content", {}).get("application/json", {})
            if "schema" in media:
                schemas.append(media["schema"])
    assert schemas
    for schema in schemas:
        OAS30Validator.check_schema(schema)


# --- routing -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "file_name", "template"), EXPECTED_MAPPING)
def test_vendor_operation_maps_concrete_paths(method: str, path: str, file_name: str, template: str) -> None:
    expected = (file_name, template or path)
    assert vendor_operation(method, path) == expected
    assert vendor_operation(method.lower(), path) == expected
    assert vendor_operation(method, path + "?submissionType=FACE_VERIFICATION&x=1") == expected
    assert vendor_operation(method, "https://onekyc.ky.id.sandbox.gopayapi.com" + path + "?a=b") == expected


def test_routes_point_at_real_operations() -> None:
    assert sorted({route.file for route in VENDOR_ROUTES}) == MAPPED_FILES
    for route in VENDOR_ROUTES:
        assert (VENDOR_OPENAPI_DIR / route.file).is_file()
        doc = load_vendor_spec(route.file)
        assert route.method.lower() in doc["paths"][route.template]
        assert route.paths[0] == route.template
        assert vendor_operation(route.method, _concrete(route.template)) == (route.file, route.template)
    for file_name in MAPPED_FILES:
        for method, template, _operation in _operations(file_name):
            assert vendor_operation(method, _concrete(template)) == (file_name, template)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/v1/unknown"),
        ("POST", "/v1/coe/partner/authentication"),
        ("POST", "/coe/v1/submissions/urls"),
        ("DELETE", "/coe/v1/submissions/urls"),
        ("GET", "/coe-partner/v1/initiate-flow"),
        ("POST", "/coe/v1/initiate-flow"),
        ("GET", "/coe/v1/submissions/url"),
        ("GET", "/coe/v1/submissions/"),
        ("GET", "/coe/v1/submissions/SUB-1"),
        ("GET", "/coe/v1/submissions//status"),
        ("GET", "/coe/v1/submissions/a/b/status"),
        ("PUT", "/coe/v1/submissions/SUB-1/status"),
        ("GET", "/esign-partner/v1/submissions"),
        ("GET", "/esign-partner/v1/submissions/urls"),
        ("POST", "/esign-partner/v1/initiate-flow"),
        ("GET", "/v1/coe/partner/authentication/extra"),
        ("GET", "/prefix/v1/coe/partner/authentication"),
        ("GET", "/v1/coe/partner/authentication/"),
    ],
)
def test_unknown_paths_map_to_none(method: str, path: str) -> None:
    assert vendor_operation(method, path) is None


def test_validate_response_rejects_unknown_endpoint() -> None:
    with pytest.raises(AssertionError, match="not a vendor endpoint"):
        validate_response("GET", "/v1/unknown", 200, {"success": True})


# --- (b) bodies that must be rejected ------------------------------------------------------------------

VALID_STATUS_BODY: dict[str, Any] = {
    "success": True,
    "data": {
        "submissionId": "SUBMISSION_123",
        "status": "IN_PROGRESS",
        "submissionType": "FACE_VERIFICATION",
        "createdAt": "2026-04-29T10:00:00Z",
        "completedAt": None,
        "documents": {"SELFIE": {"status": "UPLOADED", "documentReference": None}},
    },
}


def test_valid_status_body_passes() -> None:
    validate_response("GET", STATUS_PATH, 200, VALID_STATUS_BODY)
    validate_response("GET", "/coe-partner/v1/submissions/SUBMISSION_123/status?x=1", 200, VALID_STATUS_BODY)


def test_wrong_enum_in_status_response_is_rejected() -> None:
    body = copy.deepcopy(VALID_STATUS_BODY)
    body["data"]["status"] = "PENDING_REVIEW"
    with pytest.raises(AssertionError) as caught:
        validate_response("GET", STATUS_PATH, 200, body)
    message = str(caught.value)
    assert f"GET {STATUS_PATH} -> 200" in message
    assert "getsubmissionstatus.json" in message
    assert "$.data.status: 'PENDING_REVIEW' is not one of" in message


def test_wrong_document_status_enum_is_rejected() -> None:
    body = copy.deepcopy(VALID_STATUS_BODY)
    body["data"]["documents"]["SELFIE"]["status"] = "DONE"
    with pytest.raises(AssertionError, match=re.escape("$.data.documents.SELFIE.status")):
        validate_response("GET", STATUS_PATH, 200, body)


def test_date_time_format_is_checked() -> None:
    body = copy.deepcopy(VALID_STATUS_BODY)
    body["data"]["createdAt"] = "29/04/2026 10:00"
    expected = "$.data.createdAt: '29/04/2026 10:00' is not a 'date-time'"
    with pytest.raises(AssertionError, match=re.escape(expected)):
        validate_response("GET", STATUS_PATH, 200, body)


def test_missing_required_field_is_rejected() -> None:
    body = copy.deepcopy(VALID_STATUS_BODY)
    del body["data"]["submissionType"]
    with pytest.raises(AssertionError, match=re.escape("$.data: 'submissionType' is a required property")):
        validate_response("GET", STATUS_PATH, 200, body)


def test_extra_properties_are_allowed() -> None:
    body = copy.deepcopy(VALID_STATUS_BODY)
    body["data"]["simulatorNote"] = "extra"
    body["traceId"] = "abc"
    validate_response("GET", STATUS_PATH, 200, body)


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        # files documenting integer codes, given a string
        ("GET", "/v2/coe/authentication", 400, "1539"),
        ("GET", "/coe/v1/submissions", 400, "1552"),
        ("GET", "/coe/v1/submissions", 404, "1552"),  # undocumented status: fallback, still integer codes
        # files documenting string codes, given an integer
        ("GET", "/v1/coe/partner/authentication", 400, 1539),
        ("GET", "/v1/esign/partner/authentication", 500, 900),
        ("POST", "/coe-partner/v1/initiate-flow", 401, 110),
        ("GET", "/coe/v1/submissions/urls", 400, 1542),
        ("PUT", "/coe-partner/v1/submissions/url", 409, 409),
        ("GET", STATUS_PATH, 404, 1543),
        ("GET", STATUS_PATH, 401, 110),  # undocumented status: fallback to ErrorResponse
        ("GET", "/coe/v1/submissions/urls", 418, True),  # a boolean is not an integer either
    ],
)
def test_wrong_error_code_type_is_rejected(method: str, path: str, status: int, code: object) -> None:
    body = {"success": False, "errors": [{"code": code, "cause": "SOMETHING"}]}
    with pytest.raises(AssertionError, match=re.escape("$.errors[0].code")):
        validate_response(method, path, status, body)


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/v2/coe/authentication", 404, 1539),
        ("GET", "/coe-partner/v1/submissions", 429, 1552),
        ("GET", "/v1/coe/partner/authentication", 403, "110"),
        ("GET", "/v1/esign/partner/authentication", 503, "900"),
        ("POST", "/coe-partner/v1/initiate-flow", 422, "1542"),
        ("GET", "/coe/v1/submissions/urls", 401, "110"),
        ("PUT", "/coe/v1/submissions/urls", 418, "900"),
        ("GET", STATUS_PATH, 401, "110"),
    ],
)
def test_undocumented_error_status_falls_back_to_error_schema(
    method: str, path: str, status: int, code: object
) -> None:
    validate_response(method, path, status, {"success": False, "errors": [{"code": code, "cause": "X"}]})


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"success": False}, "$.errors"),
        ({"success": False, "data": None}, "$.errors"),
        ({"success": False, "errors": []}, "$.errors"),
        ({"success": False, "errors": None}, "$.errors"),
        ({"success": False, "errors": ["UNAUTHORIZED"]}, "$.errors[0]"),
        ({"success": False, "errors": [{"code": "110"}]}, "$.errors[0]: missing 'cause'"),
        ({"success": False, "errors": [{"cause": "UNAUTHORIZED"}]}, "$.errors[0]: missing 'code'"),
        ({"errors": [{"code": "110", "cause": "UNAUTHORIZED"}]}, "$.success"),
        ({"success": "false", "errors": [{"code": "110", "cause": "UNAUTHORIZED"}]}, "$.success"),
        ([{"code": "110", "cause": "UNAUTHORIZED"}], "$:"),
    ],
)
def test_malformed_error_envelope_is_rejected(body: object, where: str) -> None:
    # get_v1-coe-partner-authentication.json's 401 schema requires nothing; the envelope rules still apply.
    with pytest.raises(AssertionError, match=re.escape(where)):
        validate_response("GET", "/v1/coe/partner/authentication", 401, body)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", STATUS_PATH, 400),
        ("GET", STATUS_PATH, 404),
        ("GET", "/coe/v1/submissions", 400),
        ("POST", "/coe-partner/v1/initiate-flow", 403),
        ("GET", "/v1/esign/partner/authentication", 500),
        ("PUT", "/coe/v1/submissions/urls", 409),
    ],
)
def test_success_body_on_error_status_is_rejected(method: str, path: str, status: int) -> None:
    with pytest.raises(AssertionError) as caught:
        validate_response(method, path, status, VALID_STATUS_BODY)
    message = str(caught.value)
    assert f"-> {status}" in message
    assert "$.success" in message
    assert "$.errors" in message


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"success": False, "data": {}}, "$.success: a 200 response must have success true"),
        ({"data": {"status": "COMPLETED"}}, "$.success: a 200 response must have success true, got nothing"),
        ({"success": "true", "data": {}}, "$.success"),
        (
            {"success": False, "errors": [{"code": 1552, "cause": "SUBMISSION_DOES_NOT_EXIST"}]},
            "$.success: a 200 response must have success true",
        ),
        ({"success": True, "data": {"status": "DONE"}}, "$.data.status: 'DONE' is not one of"),
        ({"success": True, "data": {"result": "PASSED"}}, "$.data.result"),
        (
            {
                "success": True,
                "data": {"submissionDetails": {"verificationResults": {"faceMatch": {"score": "1"}}}},
            },
            "$.data.submissionDetails.verificationResults.faceMatch.score: '1' is not of type 'number'",
        ),
    ],
)
def test_bad_success_body_is_rejected(body: object, where: str) -> None:
    # get_coe-v1-submissions.json's 200 schema does not itself pin success to true.
    with pytest.raises(AssertionError, match=re.escape(where)):
        validate_response("GET", "/coe/v1/submissions", 200, body)


def test_string_where_vendor_uses_string_numbers() -> None:
    good: dict[str, Any] = {
        "success": True,
        "data": {"token": "t", "expiry_seconds": "1800", "expires_at": "1783336059"},
    }
    validate_response("GET", "/v1/esign/partner/authentication", 200, good)
    bad = copy.deepcopy(good)
    bad["data"]["expiry_seconds"] = 1800
    expected = "$.data.expiry_seconds: 1800 is not of type 'string'"
    with pytest.raises(AssertionError, match=re.escape(expected)):
        validate_response("GET", "/v1/esign/partner/authentication", 200, bad)


@pytest.mark.parametrize("status", [201, 204, 302])
def test_undocumented_non_error_status_is_rejected(status: int) -> None:
    with pytest.raises(AssertionError, match=f"documents no JSON body for status {status}"):
        validate_response("GET", STATUS_PATH, status, VALID_STATUS_BODY)


def test_message_names_endpoint_status_path_and_schema() -> None:
    with pytest.raises(AssertionError) as caught:
        validate_response(
            "put", "/coe-partner/v1/submissions/url?x=1", 200, {"success": True, "data": {"submissionId": 7}}
        )
    message = str(caught.value)
    assert message.startswith("PUT /coe-partner/v1/submissions/url?x=1 -> 200:")
    assert "put_coe-partner-v1-submissions-url.json PUT /coe/v1/submissions/urls" in message
    assert "documented 200 response" in message
    assert "$.data.submissionId: 7 is not of type 'string'" in message
    assert 'body: {"success": true, "data": {"submissionId": 7}}' in message
