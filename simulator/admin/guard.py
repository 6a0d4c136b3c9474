"""The optional admin token: one check, in one place, in front of every `/_sim` route.

When `admin_token` is set, a request under `/_sim` (the JSON API, the dashboard, the OpenAPI
document) needs `Authorization: Bearer <token>`; a browser may send it as the password of HTTP Basic
auth instead, so the dashboard works from the address bar. Vendor endpoints are never affected.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from simulator.errors import Unauthorized
from simulator.gateway.http import error_response

ADMIN_PREFIX = "/_sim"
CAUSE = (
    "This simulator's /_sim control API requires the admin token: send the header "
    "'Authorization: Bearer <token>' with the value given to --admin-token (env ONEKYC_SIM_ADMIN_TOKEN)."
)


def _presented(scope: Scope) -> tuple[str | None, bool]:
    """The token the request presents, and whether it comes from a browser (asks for HTML)."""
    authorization = None
    browser = False
    for name, value in scope["headers"]:
        if name == b"authorization":
            if authorization is not None and authorization != value.decode("latin-1"):
                return None, browser  # two different credentials: ambiguous, so none is presented
            authorization = value.decode("latin-1")
        elif name == b"accept" and b"text/html" in value:
            browser = True
    if authorization is None:
        return None, browser
    scheme, _, credentials = authorization.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        return credentials, browser
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, browser
        return decoded.partition(":")[2], browser
    return None, browser


class AdminTokenGuard:
    """Refuse `/_sim` requests without the admin token (401, vendor envelope); pass everything else."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token.encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None or scope["type"] != "http" or not scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        presented, browser = _presented(scope)
        if presented is not None and hmac.compare_digest(presented.encode(), self.token):
            await self.app(scope, receive, send)
            return
        response = error_response(Unauthorized("SIM_401", CAUSE))
        challenge = 'Basic realm="onekyc-sim /_sim"' if browser else 'Bearer realm="onekyc-sim /_sim"'
        response.headers["WWW-Authenticate"] = challenge
        await response(scope, receive, send)
