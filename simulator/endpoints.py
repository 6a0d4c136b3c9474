"""What every route handler (gateway, admin, webapp) is built from: the error boundary, headers, bounded bodies.

The vendor endpoints, `/_sim` and the hosted Web SDK page all answer errors in the vendor envelope
(`simulator.errors`); the object storage has its own boundary (`simulator.gateway.storage`).
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from simulator.errors import (
    DEFAULT_DIALECT,
    CoeBadRequest,
    ErrorDialect,
    FixedCode,
    GenericServiceError,
    TooLarge,
    VendorError,
    render_error_body,
)
from simulator.services.context import Services

log = logging.getLogger("simulator.gateway")

Handler = Callable[[Request, Services], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]

JSON_BODY_MAX = 256 * 1024
# The headers the vendor documents (vendor-openapi header parameters), and the two every body or bearer
# token depends on: each must be given once (or repeated with the same value), never two different ways.
SINGLE_HEADERS = (
    "client-id",
    "pass-key",
    "x-onekyc-token",
    "x-onboarding-partner",
    "x-partner-user-id",
    "x-partner-user-id-type",
    "x-partner-session-id",
    "x-sdk-session-id",
    "x-submission-id",
    "authorization",
    "content-type",
)
_SINGLE = frozenset(name.encode() for name in SINGLE_HEADERS)


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def json_response(body: dict[str, Any], status: int = 200) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type="application/json",
    )


def error_response(error: VendorError, dialect: ErrorDialect = DEFAULT_DIALECT) -> Response:
    return json_response(render_error_body(error, dialect), error.status)


def _name(value: str) -> str:
    """`x-partner-session-id` -> `X_PARTNER_SESSION_ID`, `submissionType` -> `SUBMISSION_TYPE`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", value).upper().replace("-", "_")


def refuse_ambiguity(request: Request, header_error: type[FixedCode], query_error: type[FixedCode]) -> None:
    """Raise 400 when a vendor header or a query parameter is given twice with different values.

    Starlette would silently pick the first (`headers.get`) or the last (`query_params`) value, which
    lets an ambiguous request choose its identity. Cause `AMBIGUOUS_<NAME>`, error the endpoint's
    documented 400 for headers (`header_error`) or its query (`query_error`).
    """
    given: dict[bytes, bytes] = {}
    for name, value in request.scope["headers"]:  # one pass over the raw headers: this runs on every poll
        if name in _SINGLE and given.setdefault(name, value.strip()) != value.strip():
            raise header_error(f"AMBIGUOUS_{_name(name.decode('latin-1'))}")
    if not request.scope.get("query_string"):
        return
    seen: dict[str, str] = {}
    for key, text in request.query_params.multi_items():
        if seen.setdefault(key, text) != text:
            raise query_error(f"AMBIGUOUS_{_name(key)}")


def vendor_endpoint(
    dialect: ErrorDialect = DEFAULT_DIALECT,
    *,
    ambiguous: type[FixedCode] = CoeBadRequest,
    ambiguous_query: type[FixedCode] | None = None,
) -> Callable[[Handler], Endpoint]:
    """The error boundary of one vendor endpoint: every failure leaves as that endpoint's error body.

    Before the handler runs, an ambiguous request (a header or query parameter given twice with
    different values) is refused with the endpoint's documented 400 code (`refuse_ambiguity`).
    """

    def decorate(handler: Handler) -> Endpoint:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            try:
                refuse_ambiguity(request, ambiguous, ambiguous_query or ambiguous)
                return await handler(request, services_of(request))
            except VendorError as error:
                return error_response(error, dialect)
            except Exception:
                log.exception("unexpected error", extra={"method": request.method, "path": request.url.path})
                return error_response(GenericServiceError("GENERIC_SERVICE_ERROR"), dialect)

        return endpoint

    return decorate


def header(request: Request, name: str) -> str | None:
    """A header's value, with empty and blank values counted as missing."""
    value = request.headers.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


async def read_body(request: Request, limit: int, too_large: VendorError | None = None) -> bytes:
    """The request body, refusing (without reading it all) anything over `limit` bytes."""
    error = too_large or TooLarge("ENTITY_TOO_LARGE")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise error
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise error
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json_object(request: Request, invalid: VendorError) -> dict[str, Any]:
    """The body as a JSON object, or `invalid` for anything else (bad JSON, other types, too large)."""
    raw = await read_body(request, JSON_BODY_MAX, invalid)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: nesting deeper than the parser's recursion limit (`[[[[…` 100 000 deep).
        raise invalid from None
    if not isinstance(body, dict):
        raise invalid
    return body
