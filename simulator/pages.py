"""Serving the simulator's own browser pages (the dashboard, the hosted Web SDK page) from the package.

Each page is one HTML shell plus local CSS and JS: no CDN, no build step. Every response carries a
Content-Security-Policy that allows only same-origin scripts, styles and requests, so nothing a page
renders (ids, URLs, reason codes) can run as code even if a page forgot to escape it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' blob: data:; media-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def html_page(path: Path) -> Response:
    """The HTML shell at `path`, with the security headers."""
    return FileResponse(path, media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)


class _Assets(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        return response


def assets(prefix: str, directory: Path, name: str) -> Mount:
    """Mount the files of `directory` (CSS, JS) under `prefix`; unknown files are the usual 404 body."""
    return Mount(prefix, app=_Assets(directory=directory), name=name)


def page_endpoint(path: Path) -> Callable[[Request], Awaitable[Response]]:
    """A route endpoint serving the HTML shell at `path`."""

    async def endpoint(request: Request) -> Response:
        return html_page(path)

    return endpoint
