"""Check simulator responses against the vendor's published OpenAPI definitions.

The vendor (GoPay OneKYC "IAB") publishes one OpenAPI 3.0 document per endpoint page; copies live in
``tests/vendor_openapi/``. This helper maps a concrete request (method + path) to the vendor document and
operation that describe it, and validates a response body against the documented response schema with
``openapi-schema-validator``'s ``OAS30Validator`` (it understands ``nullable``), with format checking on.

On top of the schemas, it asserts the vendor envelope, since most vendor schemas leave it optional:

* any 2xx body has ``"success": true``;
* any status >= 400 body has ``"success": false`` and a non-empty ``errors`` array of objects, each with
  ``code`` and ``cause``, where ``code`` has the JSON type (string or integer) that the vendor documents
  for that operation's errors.

A status the operation does not document falls back, for status >= 400, to the file's
``components/schemas/ErrorResponse`` (else the lowest documented 4xx response's schema); an undocumented
non-error status is a failure.

Usage::

    validate_response("GET", "/coe/v1/submissions/abc/status", 200, response.json())

No extra strictness is added: the vendor schemas mostly allow additional properties, and so does this.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NoReturn, Protocol
from urllib.parse import urlsplit

from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry
from referencing.jsonschema import DRAFT4

__all__ = [
    "VENDOR_OPENAPI_DIR",
    "VENDOR_ROUTES",
    "VendorRoute",
    "load_vendor_spec",
    "validate_response",
    "vendor_operation",
]

VENDOR_OPENAPI_DIR: Final = Path(__file__).resolve().parent / "vendor_openapi"

_JSON: Final = "application/json"
_URI_PREFIX: Final = "urn:onekyc-vendor-openapi:"
_BODY_PREVIEW_CHARS: Final = 800


@dataclass(frozen=True)
class VendorRoute:
    """One vendor operation and the concrete path templates the simulator serves it on."""

    method: str
    file: str
    template: str
    """The path key in the vendor file's ``paths``."""
    paths: tuple[str, ...]
    """Accepted request path templates (the vendor path first, then aliases); ``{name}`` is one segment."""


VENDOR_ROUTES: Final[tuple[VendorRoute, ...]] = (
    VendorRoute(
        "GET",
        "get_v1-coe-partner-authentication.json",
        "/v1/coe/partner/authentication",
        ("/v1/coe/partner/authentication",),
    ),
    VendorRoute(
        "GET",
        "getpartnertoken.json",
        "/v1/esign/partner/authentication",
        ("/v1/esign/partner/authentication",),
    ),
    VendorRoute(
        "GET",
        "get_v2-coe-authentication.json",
        "/v2/coe/authentication",
        ("/v2/coe/authentication",),
    ),
    VendorRoute(
        "POST",
        "post_coe-partner-v1-initiate-flow.json",
        "/coe-partner/v1/initiate-flow",
        ("/coe-partner/v1/initiate-flow",),
    ),
    VendorRoute(
        "GET",
        "get_coe-partner-v1-submissions-url.json",
        "/coe/v1/submissions/urls",
        ("/coe/v1/submissions/urls", "/coe-partner/v1/submissions/urls", "/coe-partner/v1/submissions/url"),
    ),
    VendorRoute(
        "PUT",
        "put_coe-partner-v1-submissions-url.json",
        "/coe/v1/submissions/urls",
        ("/coe/v1/submissions/urls", "/coe-partner/v1/submissions/urls", "/coe-partner/v1/submissions/url"),
    ),
    VendorRoute(
        "GET",
        "getsubmissionstatus.json",
        "/coe/v1/submissions/{submissionId}/status",
        ("/coe/v1/submissions/{submissionId}/status", "/coe-partner/v1/submissions/{submissionId}/status"),
    ),
    VendorRoute(
        "GET",
        "get_coe-v1-submissions.json",
        "/coe/v1/submissions",
        ("/coe/v1/submissions", "/coe-partner/v1/submissions"),
    ),
)


class _Violation(Protocol):
    """The parts of ``jsonschema.exceptions.ValidationError`` used here."""

    @property
    def message(self) -> str: ...

    @property
    def json_path(self) -> str: ...


class _SchemaValidator(Protocol):
    def iter_errors(self, instance: object) -> Iterator[_Violation]: ...


@dataclass(frozen=True)
class _SchemaChoice:
    pointer: str
    """JSON pointer (within the vendor file) of the schema to validate against."""
    label: str
    """How it was chosen, for messages."""


# --- routing -------------------------------------------------------------------------------------------


def _path_regex(template: str) -> re.Pattern[str]:
    pieces = re.split(r"(\{[^/{}]+\})", template)
    return re.compile("".join("[^/]+" if piece.startswith("{") else re.escape(piece) for piece in pieces))


_ROUTE_PATTERNS: Final[tuple[tuple[VendorRoute, tuple[re.Pattern[str], ...]], ...]] = tuple(
    (route, tuple(_path_regex(p) for p in route.paths)) for route in VENDOR_ROUTES
)


def vendor_operation(method: str, path: str) -> tuple[str, str] | None:
    """(vendor file name, OpenAPI path template) the concrete request path maps to, or None if it is not a
    vendor endpoint. A query string (or a whole URL) is accepted; only its path is used."""
    request_path = urlsplit(path).path
    wanted = method.upper()
    for route, patterns in _ROUTE_PATTERNS:
        if route.method == wanted and any(p.fullmatch(request_path) for p in patterns):
            return route.file, route.template
    return None


# --- loading and JSON pointers -------------------------------------------------------------------------


@functools.cache
def load_vendor_spec(file_name: str) -> dict[str, Any]:
    """The parsed vendor OpenAPI document (cached: do not mutate it)."""
    with (VENDOR_OPENAPI_DIR / file_name).open(encoding="utf-8") as fh:
        doc = json.load(fh)
    if not isinstance(doc, dict) or not isinstance(doc.get("paths"), dict):
        raise ValueError(f"{file_name}: not an OpenAPI document")
    return doc


def _pointer(*tokens: str) -> str:
    return "".join("/" + token.replace("~", "~0").replace("/", "~1") for token in tokens)


def _resolve_pointer(doc: dict[str, Any], pointer: str) -> Any:
    node: Any = doc
    if not pointer:
        return node
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON pointer: {pointer!r}")
    for raw in pointer[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise KeyError(f"JSON pointer {pointer!r} does not resolve (at {token!r})")
    return node


def _follow_refs(doc: dict[str, Any], pointer: str) -> tuple[str, Any]:
    """Resolve ``pointer`` and then any chain of same-document ``$ref`` objects; return where it ended."""
    node = _resolve_pointer(doc, pointer)
    seen = {pointer}
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref: str = node["$ref"]
        if not ref.startswith("#"):
            raise ValueError(f"only same-document $refs are supported, got {ref!r}")
        pointer = ref[1:]
        if pointer in seen:
            raise ValueError(f"$ref cycle at {ref!r}")
        seen.add(pointer)
        node = _resolve_pointer(doc, pointer)
    return pointer, node


def _deref(doc: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        node = _follow_refs(doc, node["$ref"].removeprefix("#"))[1]
    return node


def _operation_pointer(template: str, method: str) -> str:
    return _pointer("paths", template, method.lower())


def _responses(doc: dict[str, Any], template: str, method: str) -> dict[str, Any]:
    responses = _resolve_pointer(doc, _operation_pointer(template, method) + "/responses")
    if not isinstance(responses, dict):
        raise ValueError(f"{method} {template}: responses is not an object")
    return responses


def _response_schema_pointer(doc: dict[str, Any], template: str, method: str, status_key: str) -> str | None:
    """Pointer of the JSON body schema of a documented response (following a response ``$ref``)."""
    response_pointer, response = _follow_refs(
        doc, _operation_pointer(template, method) + _pointer("responses", status_key)
    )
    content = response.get("content") if isinstance(response, dict) else None
    media = content.get(_JSON) if isinstance(content, dict) else None
    if not isinstance(media, dict) or "schema" not in media:
        return None
    return response_pointer + _pointer("content", _JSON, "schema")


def _is_error_key(status_key: str) -> bool:
    return len(status_key) == 3 and status_key[0] in "45" and (status_key.isdigit() or status_key[1:] == "XX")


# --- schema choice and validators ----------------------------------------------------------------------


@functools.cache
def _schema_for(file_name: str, template: str, method: str, status: int) -> _SchemaChoice | None:
    doc = load_vendor_spec(file_name)
    responses = _responses(doc, template, method)
    for key in (str(status), f"{status // 100}XX"):
        if key in responses:
            pointer = _response_schema_pointer(doc, template, method, key)
            if pointer is not None:
                return _SchemaChoice(pointer, f"documented {key} response")
    if status < 400:
        return None
    schemas = doc.get("components", {}).get("schemas", {})
    if isinstance(schemas, dict) and "ErrorResponse" in schemas:
        return _SchemaChoice(
            _pointer("components", "schemas", "ErrorResponse"),
            f"status {status} undocumented; fallback #/components/schemas/ErrorResponse",
        )
    for key in sorted(k for k in responses if k.isdigit() and k.startswith("4")):
        pointer = _response_schema_pointer(doc, template, method, key)
        if pointer is not None:
            return _SchemaChoice(pointer, f"status {status} undocumented; fallback to the {key} response")
    return None


@functools.cache
def _registry(file_name: str) -> Registry[Any]:
    resource = DRAFT4.create_resource(load_vendor_spec(file_name))
    registry: Registry[Any] = Registry().with_resource(_URI_PREFIX + file_name, resource)
    return registry


@functools.cache
def _validator(file_name: str, pointer: str) -> _SchemaValidator:
    validator: _SchemaValidator = OAS30Validator(
        {"$ref": f"{_URI_PREFIX}{file_name}#{pointer}"},
        registry=_registry(file_name),
        format_checker=oas30_format_checker,
    )
    return validator


def _code_type_of(doc: dict[str, Any], schema_pointer: str) -> str | None:
    schema = _follow_refs(doc, schema_pointer)[1]
    for step in ("properties", "errors", "items", "properties", "code", "type"):
        if not isinstance(schema, dict) or step not in schema:
            return None
        schema = schema[step] if step in ("properties", "type") else _deref(doc, schema[step])
    return schema if isinstance(schema, str) else None


@functools.cache
def _error_code_type(file_name: str, template: str, method: str) -> str:
    """The JSON type ('string' or 'integer') of ``errors[].code`` documented for the operation."""
    doc = load_vendor_spec(file_name)
    found: set[str] = set()
    for key in _responses(doc, template, method):
        if _is_error_key(key):
            pointer = _response_schema_pointer(doc, template, method, key)
            code_type = _code_type_of(doc, pointer) if pointer is not None else None
            if code_type is not None:
                found.add(code_type)
    if not found and "ErrorResponse" in doc.get("components", {}).get("schemas", {}):
        code_type = _code_type_of(doc, _pointer("components", "schemas", "ErrorResponse"))
        if code_type is not None:
            found.add(code_type)
    if len(found) != 1 or not found <= {"string", "integer"}:
        raise ValueError(f"{file_name} {method} {template}: unclear error code type {sorted(found)}")
    return found.pop()


# --- validation ----------------------------------------------------------------------------------------


def _show(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=repr)


def _json_type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _envelope_problems(status: int, body: object, code_type: str | None) -> list[str]:
    if not isinstance(body, dict):
        return [f"$: the body is {_json_type_name(body)}, expected the vendor envelope object"]
    problems: list[str] = []
    if 200 <= status < 300:
        if body.get("success") is not True:
            got = _show(body["success"]) if "success" in body else "nothing"
            problems.append(f"$.success: a {status} response must have success true, got {got}")
        return problems
    if status < 400:
        return problems
    if body.get("success") is not False:
        got = _show(body["success"]) if "success" in body else "nothing"
        problems.append(f"$.success: a {status} response must have success false, got {got}")
    errors = body.get("errors")
    if not isinstance(errors, list) or not errors:
        got = _show(errors) if "errors" in body else "nothing"
        problems.append(f"$.errors: a {status} response must have a non-empty errors array, got {got}")
        return problems
    for index, item in enumerate(errors):
        where = f"$.errors[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: expected an object with code and cause, got {_show(item)}")
            continue
        problems.extend(f"{where}: missing {key!r}" for key in ("code", "cause") if key not in item)
        if "code" in item and code_type is not None and _json_type_name(item["code"]) != code_type:
            problems.append(
                f"{where}.code: {_show(item['code'])} is {_json_type_name(item['code'])}, "
                f"the vendor documents {code_type} error codes for this endpoint"
            )
    return problems


def _fail(method: str, path: str, status: int, context: str, problems: list[str], body: object) -> NoReturn:
    preview = _show(body)
    if len(preview) > _BODY_PREVIEW_CHARS:
        preview = preview[:_BODY_PREVIEW_CHARS] + "...(truncated)"
    lines = [f"{method.upper()} {path} -> {status}: body does not match the vendor API ({context})"]
    lines += [f"  {problem}" for problem in problems]
    lines.append(f"  body: {preview}")
    raise AssertionError("\n".join(lines))


def validate_response(method: str, path: str, status: int, body: object) -> None:
    """Raise AssertionError (with a readable message: endpoint, status, JSON path of the failure, the
    validator's message) unless `body` validates against the vendor's response schema for
    (method, path, status)."""
    operation = vendor_operation(method, path)
    if operation is None:
        raise AssertionError(f"{method.upper()} {path}: not a vendor endpoint (no vendor OpenAPI file covers it)")
    file_name, template = operation
    op_method = method.upper()
    endpoint = f"{file_name} {op_method} {template}"
    choice = _schema_for(file_name, template, op_method, status)
    if choice is None:
        problem = f"the vendor documents no JSON body for status {status}"
        _fail(method, path, status, endpoint, [problem], body)
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for error in _validator(file_name, choice.pointer).iter_errors(body):
        key = (error.json_path, error.message)
        if key not in seen:
            seen.add(key)
            problems.append(f"{error.json_path}: {error.message}")
    code_type = _error_code_type(file_name, template, op_method) if status >= 400 else None
    problems += _envelope_problems(status, body, code_type)
    if problems:
        _fail(method, path, status, f"{endpoint}, {choice.label}, schema #{choice.pointer}", problems, body)
