"""The one middleware in front of the routes: each request passes only the layers its path needs.

- `/_sim` (control API, dashboard): the admin guard (`simulator.admin.guard`), nothing else: it is
  neither journaled nor faulted, and never gets CORS headers.
- Every other path (vendor, storage, hosted page, home): the journal (outermost, so it sees what the
  client gets, preflights included), then CORS when origins are configured (`simulator.gateway.edges`),
  then scenario faults (`simulator.gateway.fault_injection`), which act on the faultable vendor routes only.
- Lifespan and websocket scopes go straight to the routes.

One entry instead of a chain of three or four pure-ASGI layers, each with its own path test, on every
request: the status poll, the hot path, passes two thin layers.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from simulator.admin.guard import ADMIN_PREFIX, AdminTokenGuard
from simulator.gateway.edges import VendorCors
from simulator.gateway.fault_injection import VENDOR_ROUTES, FaultInjection
from simulator.gateway.journaling import JournalMiddleware


class Edges:
    """Route a request to the layers of its path (module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        admin_token: str | None = None,
        cors_origins: Sequence[str] = (),
        vendor_routes: Sequence[BaseRoute] = VENDOR_ROUTES,
    ) -> None:
        self.app = app
        self.admin = AdminTokenGuard(app, token=admin_token)
        vendor: ASGIApp = FaultInjection(app, vendor_routes)
        if cors_origins:
            vendor = VendorCors(vendor, origins=cors_origins)
        self.vendor = JournalMiddleware(vendor)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
        elif scope["path"].startswith(ADMIN_PREFIX):
            await self.admin(scope, receive, send)
        else:
            await self.vendor(scope, receive, send)
