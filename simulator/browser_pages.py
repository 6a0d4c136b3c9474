"""Serving the simulator's own browser pages (the dashboard, the hosted Web SDK page) from the package.

Each page is one HTML shell plus local CSS and JS: no CDN, no build step. Every response carries a
Content-Security-Policy that allows only same-origin scripts, styles and requests, so nothing a page
renders (ids, URLs, reason codes) can run as code even if a page forgot to escape it. Who may frame a
page is its own `frame-ancestors` source list: none for the dashboard (plus `X-Frame-Options: DENY` for
old browsers), `--web-sdk-frame-ancestors` for the hosted Web SDK page, which partners may embed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from simulator.settings import Settings

FrameAncestors = Callable[[Settings], str]

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


def html_page(path: Path, frame_ancestors: str = "'none'") -> Response:
    """The HTML shell at `path`, with the security headers; `frame_ancestors`: the CSP source list."""
    headers = SECURITY_HEADERS | {
        "Content-Security-Policy": f"{CONTENT_SECURITY_POLICY}; frame-ancestors {frame_ancestors}"
    }
    legacy = {"'none'": "DENY", "'self'": "SAMEORIGIN"}.get(frame_ancestors)
    if legacy:
        headers["X-Frame-Options"] = legacy
    return FileResponse(path, media_type="text/html; charset=utf-8", headers=headers)


class _Assets(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(SECURITY_HEADERS)
        return response


def assets(prefix: str, directory: Path, name: str) -> Mount:
    """Mount the files of `directory` (CSS, JS) under `prefix`; unknown files are the usual 404 body."""
    return Mount(prefix, app=_Assets(directory=directory), name=name)


def page_endpoint(
    path: Path, frame_ancestors: FrameAncestors = lambda _: "'none'"
) -> Callable[[Request], Awaitable[Response]]:
    """A route endpoint serving the HTML shell at `path`, framable by `frame_ancestors(settings)`."""

    async def endpoint(request: Request) -> Response:
        settings: Settings = request.app.state.settings
        return html_page(path, frame_ancestors(settings))

    return endpoint
