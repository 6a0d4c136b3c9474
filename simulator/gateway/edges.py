"""The HTTP edges around the routes: unknown paths, refused methods and cross-origin requests.

- No path is ever redirected (the app turns Starlette's `redirect_slashes` off: its `Location` is
  built from the request's `Host`, an open redirect). A path with a trailing slash is an unknown path.
- An unknown path answers the vendor `404 PATH_NOT_FOUND` envelope; a known path with another method
  `405 METHOD_NOT_ALLOWED` with `Allow` listing every method the path serves (RFC 9110 §15.5.6). Under
  the storage prefix both are S3's XML (`NoSuchKey`, `MethodNotAllowed`).
- CORS, off unless origins are configured (`--cors-origin`), is Starlette's `CORSMiddleware` on the
  vendor and storage paths; `/_sim` and the hosted page are same-origin and never get CORS headers.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from simulator.endpoints import SINGLE_HEADERS, error_response, services_of
from simulator.errors import NotFound, StorageError, VendorError
from simulator.gateway.storage import storage_error_response
from simulator.services.vendor_flow.presigned_urls import STORAGE_PREFIX

METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
CORS_METHODS = ("GET", "HEAD", "POST", "PUT")
CORS_HEADERS = (*SINGLE_HEADERS, "content-md5")
CORS_EXPOSED = ("etag", "retry-after", "x-amz-request-id")
SAME_ORIGIN_PREFIXES = ("/_sim", "/kyc/")


def _is_storage(path: str) -> bool:
    return path == STORAGE_PREFIX or path.startswith(f"{STORAGE_PREFIX}/")


def allowed_methods(routes: Sequence[object], scope: Scope) -> list[str]:
    """Every method the routes serve at the request's path (the value of `Allow`)."""
    methods: set[str] = set()
    for route in routes:
        if isinstance(route, Route) and route.methods and route.matches(scope)[0] is not Match.NONE:
            methods |= route.methods
    return sorted(methods, key=lambda m: METHOD_ORDER.index(m) if m in METHOD_ORDER else len(METHOD_ORDER))


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's routing errors (404, 405, ...) in the vendor envelope, or S3's XML under the storage."""
    assert isinstance(exc, HTTPException)
    storage = _is_storage(request.url.path)
    headers: dict[str, str] = {}
    error: VendorError
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request.app.routes, request.scope))
        if storage:
            error = StorageError(
                405,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                {"Method": request.method, "ResourceType": "OBJECT"},
            )
        else:
            error = VendorError("405", "METHOD_NOT_ALLOWED", status=405)
    elif exc.status_code == 404:
        error = (
            StorageError(404, "NoSuchKey", "The specified key does not exist.")
            if storage
            else NotFound("404", "PATH_NOT_FOUND")
        )
    else:
        error = VendorError(str(exc.status_code), "REQUEST_REJECTED", status=exc.status_code)
    if storage:
        return storage_error_response(error, services_of(request).ids.request_id(), headers)
    response = error_response(error)
    response.headers.update(headers)
    return response


class _EnvelopedCors(CORSMiddleware):
    """Starlette's CORS whose refused preflight (origin, method or header not allowed) answers 400 in the
    vendor envelope, `CORS_PREFLIGHT_REJECTED`, with the same CORS headers, instead of plain text."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        refused = error_response(VendorError("400", "CORS_PREFLIGHT_REJECTED", status=400))
        for name, value in response.headers.items():
            if name.lower() not in ("content-type", "content-length"):
                refused.headers[name] = value
        return refused


class VendorCors:
    """CORS for browser front ends on other origins: Starlette's `CORSMiddleware` on the vendor and
    storage paths when `origins` is non-empty; every request passes untouched otherwise.

    Preflights are answered with `CORS_METHODS` and `CORS_HEADERS` (the vendor's documented headers,
    `content-type`, `content-md5`, `authorization`); responses expose `CORS_EXPOSED`.
    """

    def __init__(self, app: ASGIApp, origins: Sequence[str] = ()) -> None:
        self.app = app
        self.cors: ASGIApp | None = None
        if origins:
            self.cors = _EnvelopedCors(
                app,
                allow_origins=list(origins),
                allow_methods=CORS_METHODS,
                allow_headers=CORS_HEADERS,
                expose_headers=CORS_EXPOSED,
                max_age=600,
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.cors is None or scope["type"] != "http" or scope["path"].startswith(SAME_ORIGIN_PREFIXES):
            await self.app(scope, receive, send)
            return
        await self.cors(scope, receive, send)
