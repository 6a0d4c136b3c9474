"""The application factory. No logic here: routes, the error boundary and the lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from simulator.admin import actions, catalog, clock, dashboard, health, partner_callbacks, reads, tenancy
from simulator.admin import jobs as admin_jobs
from simulator.admin import openapi as admin_openapi
from simulator.endpoints import error_response
from simulator.errors import GenericServiceError
from simulator.gateway import iab, storage, token_gateway
from simulator.gateway.edges import http_error
from simulator.gateway.fault_injection import VENDOR_ROUTES
from simulator.home import routes as home_routes
from simulator.middleware import Edges
from simulator.runtime import open_services
from simulator.services.context import Services
from simulator.settings import Settings, hide_password
from simulator.webapp import routes as web_sdk_routes

log = logging.getLogger("simulator.app")


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", extra={"path": request.url.path})
    return error_response(GenericServiceError("GENERIC_SERVICE_ERROR"))


def create_app(settings: Settings | None = None, *, services: Services | None = None) -> Starlette:
    """A simulator app; its lifespan opens the services from `settings` unless `services` is given."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if services is not None:
            app.state.services = services
            yield
            return
        async with AsyncExitStack() as stack:
            try:
                opened = await stack.enter_async_context(open_services(settings))
            except Exception as exc:
                app.state.startup_error = exc  # `onekyc-sim serve` explains it (simulator.startup)
                raise
            app.state.services = opened
            log.info(
                "simulator ready",
                extra={
                    "baseUrl": settings.base_url,
                    "database": hide_password(settings.database_url),
                    "seed": settings.seed,
                },
            )
            yield

    app = Starlette(
        routes=[
            *token_gateway.routes,
            *iab.routes,
            *storage.routes,
            *health.routes,
            *clock.routes,
            *reads.routes,
            *actions.routes,
            *admin_openapi.routes,
            *admin_jobs.routes,
            *partner_callbacks.routes,
            *catalog.routes,
            *tenancy.routes,
            *web_sdk_routes.routes,
            *dashboard.routes,
            *home_routes,
        ],
        exception_handlers={HTTPException: http_error, Exception: _unexpected},
        # One entry: /_sim passes the admin guard only; other paths the journal, CORS (when origins are
        # configured) and scenario faults (simulator/middleware.py).
        middleware=[
            Middleware(
                Edges,
                admin_token=settings.admin_token,
                cors_origins=settings.cors_origins,
                vendor_routes=VENDOR_ROUTES,
            ),
        ],
        lifespan=lifespan,
    )
    # Starlette's slash redirect builds its Location from the Host header: never redirect (gateway/edges.py).
    app.router.redirect_slashes = False
    app.state.settings = settings
    return app
