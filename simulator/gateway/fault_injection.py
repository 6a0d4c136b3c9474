"""Fault injection: the scenario's faults applied to vendor calls, before any handler sees them.

A pure ASGI middleware. For a call of a faultable endpoint it finds the partner session (from the
token, the headers or the presigned document), counts the call, and when one of the session's faults
fires: waits (latency), answers an error (the endpoint's documented vendor error body, or for a status
the vendor does not document the gateway-style body of `domain.faults.gateway_body`, with the fault's
extra headers such as `Retry-After`), or drops the connection. A
faulted call never reaches its handler, so a faulted status poll is not a poll and a faulted confirm
confirms nothing.

Latency is the one place the simulator awaits real time: `asyncio.sleep` on the event loop, not the
simulator clock, because it delays a response on the wire. A dropped connection sends the status line
and then closes the connection (under uvicorn) or raises `DroppedConnection` (in-process ASGI
clients): either way the client gets no usable response.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from simulator.domain.faults import Endpoint, gateway_body
from simulator.domain.scripts import Behaviour, describe_fault
from simulator.endpoints import error_response, json_response
from simulator.errors import DETAILS, STRING_CODES, VendorError
from simulator.gateway import iab, storage
from simulator.services import session_scenarios
from simulator.services.context import Services
from simulator.store.records import SessionRecord

log = logging.getLogger("simulator.faults")

# The handler of each faultable endpoint; its paths and methods are the routes' own (gateway/iab.py, storage.py).
HANDLERS: dict[object, Endpoint] = {
    iab.initiate_flow: Endpoint.INITIATE,
    iab.presign: Endpoint.PRESIGN,
    iab.confirm: Endpoint.CONFIRM,
    iab.status: Endpoint.STATUS,
    iab.details: Endpoint.DETAILS,
    storage.put_object: Endpoint.UPLOAD,
}
VENDOR_ROUTES: tuple[BaseRoute, ...] = (*iab.routes, *storage.routes)
_Table = tuple[tuple[str, re.Pattern[str], Endpoint], ...]


def fault_table(routes: Sequence[BaseRoute]) -> _Table:
    """(method, path pattern, endpoint) of every route whose handler is a faultable endpoint (`HANDLERS`)."""
    return tuple(
        (method, route.path_regex, HANDLERS[route.endpoint])
        for route in routes
        if isinstance(route, Route) and route.endpoint in HANDLERS
        for method in sorted(route.methods or ())
        if method != "HEAD"  # Starlette adds HEAD to GET routes; faults script the SDK's calls
    )


_DEFAULT_TABLE = fault_table(VENDOR_ROUTES)


class DroppedConnection(ConnectionResetError):
    """Raised after the status line to drop the connection on purpose (a scenario fault)."""


class _QuietDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DroppedConnection))


QUIET_DROPS = _QuietDrops()


def endpoint_of(method: str, path: str, table: _Table = _DEFAULT_TABLE) -> tuple[Endpoint, dict[str, str]] | None:
    """The faultable endpoint a call is to, with the route's path parameters; None for any other call."""
    for route_method, pattern, endpoint in table:
        if route_method == method:
            match = pattern.match(path)
            if match is not None:
                return endpoint, match.groupdict()
    return None


async def _session_target(svc: Services, session: SessionRecord) -> tuple[str, str, Behaviour]:
    choice = await session_scenarios.session_choice(svc, session)
    return session.client_id, session.partner_session_id, choice.behaviour


async def _target(
    svc: Services, endpoint: Endpoint, headers: Headers, params: dict[str, str]
) -> tuple[str, str, Behaviour] | None:
    """(client id, partner session id, behaviour) of the session this call belongs to, if any."""
    if endpoint is Endpoint.UPLOAD:
        key = await svc.repo.session_key_of_document(params["reference"])
        session = await svc.repo.get_session(key) if key else None
        return await _session_target(svc, session) if session else None
    claims = svc.tokens.peek(headers.get("x-onekyc-token", "").strip())
    if claims is None:
        return None
    psid = headers.get("x-partner-session-id", "").strip() or claims.partner_session_id
    session = await svc.repo.get_session(claims.session_key) if claims.session_key else None
    if session is None and psid:
        session = await svc.repo.find_session(claims.client_id, psid)
    if session is None and endpoint is Endpoint.DETAILS:
        submission = await svc.repo.cached_submission(headers.get("x-submission-id", "").strip() or "-")
        session = await svc.repo.get_session(submission.session_key) if submission else None
    if session is not None and session.client_id == claims.client_id:
        return await _session_target(svc, session)
    if not psid or endpoint not in (Endpoint.INITIATE, Endpoint.PRESIGN):
        return None
    user_id = headers.get("x-partner-user-id", "").strip() or claims.user_id or ""
    choice = await session_scenarios.choose_for_new_session(svc, claims.client_id, psid, user_id)
    return claims.client_id, psid, choice.behaviour


class FaultInjection:
    """Apply the partner session's scenario faults to calls of the faultable vendor `routes`."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute] = VENDOR_ROUTES) -> None:
        self.app = app
        self.table = fault_table(routes)
        for name in ("uvicorn.error", "simulator.app"):
            logger = logging.getLogger(name)
            if QUIET_DROPS not in logger.filters:
                logger.addFilter(QUIET_DROPS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = endpoint_of(scope["method"], scope["path"], self.table) if scope["type"] == "http" else None
        services: Services | None = getattr(getattr(scope.get("app"), "state", None), "services", None)
        if found is None or services is None:
            await self.app(scope, receive, send)
            return
        endpoint, params = found
        target = await _target(services, endpoint, Headers(scope=scope), params)
        fault = await session_scenarios.fault_for_call(services, endpoint, *target) if target else None
        if fault is None:
            await self.app(scope, receive, send)
            return
        log.info(
            "scenario fault: %s",
            describe_fault(fault),
            extra={"endpoint": endpoint.value, "partnerSessionId": target[1] if target else None},
        )
        if fault.latency_seconds:
            await asyncio.sleep(fault.latency_seconds)
        if fault.drop_connection:
            headers = [(b"content-type", b"application/json"), (b"content-length", b"64")]
            await send({"type": "http.response.start", "status": 500, "headers": headers})
            raise DroppedConnection(f"scenario fault: {endpoint.value} connection dropped")
        answer = fault.error()
        if answer is None:
            await self.app(scope, receive, send)
            return
        if answer.vendor is not None:
            dialect = DETAILS if endpoint is Endpoint.DETAILS else STRING_CODES
            response = error_response(VendorError(*answer.vendor, status=answer.status), dialect)
        else:
            response = json_response(gateway_body(answer.status), answer.status)
        response.headers.update(answer.headers)
        await response(scope, receive, send)
