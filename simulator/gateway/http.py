"""Handler plumbing shared by the vendor endpoints: the error boundary, headers and bounded bodies."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from simulator.errors import (
    DEFAULT_DIALECT,
    ErrorDialect,
    InternalError,
    PayloadTooLarge,
    VendorError,
    render_error_body,
)
from simulator.services.container import Services

log = logging.getLogger("simulator.gateway")

Handler = Callable[[Request, Services], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]

JSON_BODY_MAX = 256 * 1024


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


def vendor_endpoint(dialect: ErrorDialect = DEFAULT_DIALECT) -> Callable[[Handler], Endpoint]:
    """The error boundary of one vendor endpoint: every failure leaves as that endpoint's error body."""

    def decorate(handler: Handler) -> Endpoint:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request, services_of(request))
            except VendorError as error:
                return error_response(error, dialect)
            except Exception:
                log.exception("unexpected error", extra={"method": request.method, "path": request.url.path})
                return error_response(InternalError("900", "GENERIC_SERVICE_ERROR"), dialect)

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
    error = too_large or PayloadTooLarge("413", "ENTITY_TOO_LARGE")
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
    except (ValueError, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(body, dict):
        raise invalid
    return body
