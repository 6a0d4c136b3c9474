"""`GET /`: where to go from the simulator's root.

A browser (its `Accept` names `text/html`) is redirected to the dashboard; an API client (curl, an HTTP
library: `*/*` or `application/json`) gets a short JSON index of the vendor base paths this simulator
serves and of its own `/_sim` links. The vendor has no `/`, so no vendor behaviour is involved.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from simulator import __version__
from simulator.admin.dashboard import UI_PATH

# The vendor paths of DESIGN.md §2 (their aliases are in the OpenAPI document), and the /_sim entry points.
INDEX: dict[str, Any] = {
    "tokenGateway": {
        "partnerToken": ["/v1/esign/partner/authentication", "/v1/coe/partner/authentication"],
        "userToken": "/v2/coe/authentication",
    },
    "iabGateway": {
        "initiateFlow": "/coe-partner/v1/initiate-flow",
        "submissionUrls": "/coe/v1/submissions/urls",
        "submissionStatus": "/coe/v1/submissions/{submissionId}/status",
        "submissionDetails": "/coe/v1/submissions",
    },
    "sim": {
        "dashboard": UI_PATH,
        "openapi": "/_sim/openapi.json",
        "health": "/_sim/health",
        "clock": "/_sim/clock",
        "scenarios": "/_sim/scenarios",
        "requests": "/_sim/requests",
        "sessions": "/_sim/sessions",
        "callbacks": "/_sim/callbacks",
        "partners": "/_sim/partners",
    },
}


def wants_html(accept: str) -> bool:
    """Whether an `Accept` header value asks for HTML (`text/html` with a q above 0), as browsers send it."""
    for media_range in accept.split(","):
        media_type, *params = (part.strip() for part in media_range.split(";"))
        if media_type.lower() != "text/html":
            continue
        quality = next((p.split("=", 1)[1] for p in params if p.lower().startswith("q=")), "1")
        try:
            return float(quality) > 0
        except ValueError:
            return True
    return False


async def root(request: Request) -> Response:
    """303 to the dashboard for a browser; else `{"name", "version", "tokenGateway", "iabGateway", "sim"}`.

    The redirect's `Location` is the relative path `/_sim/ui`, never built from the `Host` header.
    """
    headers = {"Vary": "Accept", "Cache-Control": "no-cache"}
    if wants_html(request.headers.get("accept", "")):
        return RedirectResponse(UI_PATH, status_code=303, headers=headers)
    return JSONResponse({"name": "onekyc-sim", "version": __version__, **INDEX}, headers=headers)


routes: list[BaseRoute] = [Route("/", root, methods=["GET"])]
