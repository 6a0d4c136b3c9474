"""Who may use `/_sim`: one check, in one place, in front of every `/_sim` route.

A request under `/_sim` (the JSON API, the dashboard, the OpenAPI document) is made by:
- a partner, when it sends its own credentials: headers `client-id` + `pass-key` (as on the Token
  Gateway), or HTTP Basic auth `client-id:pass-key` (what a browser sends for the dashboard); wrong
  credentials are refused (401). The partner's view is limited (`simulator.admin.tenancy`);
- the admin, when it sends `Authorization: Bearer <admin token>` (or the token as the Basic password),
  or, when no admin token is set, when it sends no partner credentials.
Anything else is refused with 401 (vendor envelope). `/_sim/health` is open to every caller (container
and load-balancer health checks). Vendor endpoints are never affected.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from simulator.admin.tenancy import ADMIN_PRINCIPAL, PRINCIPAL, Principal
from simulator.endpoints import error_response
from simulator.errors import Unauthorized

ADMIN_PREFIX = "/_sim"
OPEN_PATHS = frozenset({"/_sim/health"})
CAUSE = (
    "This simulator's /_sim control API requires credentials: the admin token as 'Authorization: Bearer <token>' "
    "(--admin-token, env ONEKYC_SIM_ADMIN_TOKEN), or a partner's own 'client-id' and 'pass-key' headers "
    "(or HTTP Basic auth client-id:pass-key) for that partner's data only."
)
BAD_PARTNER = "The client-id / pass-key pair is not a partner of this simulator (the Token Gateway's credentials)."


@dataclass(frozen=True, slots=True)
class Presented:
    """The credentials a request presents."""

    token: str | None = None
    client_id: str | None = None
    pass_key: str | None = None
    browser: bool = False
    from_headers: bool = False
    ambiguous: bool = False
    """Two different values of one credential header: none of them is believed (always 401)."""


def _presented(scope: Scope) -> Presented:
    authorization = client_id = pass_key = None
    browser = False
    seen: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in (b"authorization", b"client-id", b"pass-key") and seen.setdefault(name, value) != value:
            return Presented(browser=browser, ambiguous=True)
        if name == b"authorization":
            authorization = value.decode("latin-1")
        elif name == b"client-id":
            client_id = value.decode("latin-1").strip()
        elif name == b"pass-key":
            pass_key = value.decode("latin-1").strip()
        elif name == b"accept" and b"text/html" in value:
            browser = True
    from_headers = client_id is not None
    token = None
    if authorization is not None:
        scheme, _, credentials = authorization.partition(" ")
        credentials = credentials.strip()
        if scheme.lower() == "bearer":
            token = credentials
        elif scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(credentials, validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, password = "", ""
            token = password
            if client_id is None and user:
                client_id, pass_key = user, password
    return Presented(token, client_id, pass_key, browser, from_headers)


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class AdminTokenGuard:
    """Authenticate `/_sim` requests (module docstring) and put the `Principal` in the scope."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    def _partner(self, scope: Scope, presented: Presented) -> tuple[Principal | None, bool]:
        """(the partner principal, or None; whether the client id names a known partner)."""
        services = getattr(scope["app"].state, "services", None) if "app" in scope else None
        partner = services.partner(presented.client_id) if services is not None and presented.client_id else None
        if partner is None:
            return None, False
        if presented.pass_key is not None and _equal(presented.pass_key, partner.pass_key):
            return Principal(partner.client_id), True
        return None, True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(ADMIN_PREFIX) or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        presented = _presented(scope)
        caller: Principal | None = None
        failed_partner = False
        if presented.ambiguous:
            pass
        elif self.token is not None and presented.token is not None and _equal(presented.token, self.token):
            caller = ADMIN_PRINCIPAL
        elif presented.client_id is not None:
            caller, known = self._partner(scope, presented)
            failed_partner = caller is None and (known or presented.from_headers)
        if caller is None and not failed_partner and not presented.ambiguous and self.token is None:
            caller = ADMIN_PRINCIPAL
        if caller is not None:
            scope[PRINCIPAL] = caller
            await self.app(scope, receive, send)
            return
        response = error_response(Unauthorized("SIM_401", BAD_PARTNER if failed_partner else CAUSE))
        challenge = 'Basic realm="onekyc-sim /_sim"' if presented.browser else 'Bearer realm="onekyc-sim /_sim"'
        response.headers["WWW-Authenticate"] = challenge
        await response(scope, receive, send)
