"""Control API for outbound calls: partners and their callback config, callback deliveries, redelivery.

GET    /_sim/partners                          every partner (config-file shape, snake_case)
GET    /_sim/partners/{clientId}               one partner
PUT    /_sim/partners/{clientId}               register or replace a partner (persisted)
DELETE /_sim/partners/{clientId}               forget its runtime change (back to the config file)
PATCH  /_sim/partners/{clientId}/callback      change some callback fields (url, method, auth, ...)
PATCH  /_sim/partners/{clientId}/reference-image   change some fields of its "Get Reference Image" endpoint
GET    /_sim/callbacks?clientId=&partnerSessionId=&submissionId=&state=&limit=
GET    /_sim/callbacks/{callbackId}            one callback with all its attempts
POST   /_sim/callbacks/{callbackId}/redeliver  send the same body again, as a new callback
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.admin.tenancy import client_scope, ensure_own, principal
from simulator.endpoints import json_response, read_json_object, vendor_endpoint
from simulator.errors import SIM, SimBadRequest, SimForbidden
from simulator.services.context import Services
from simulator.services.control import partners as partner_config
from simulator.services.control import reads as sim_reads
from simulator.services.control.params import QueryModel, WholeNumber, parse
from simulator.services.partner_calls import callbacks
from simulator.store.partner_call_records import CallbackRecord, CallbackState

LIST_LIMIT_MAX = 1000


async def _json_body(request: Request, example: str) -> dict[str, Any]:
    return await read_json_object(request, SimBadRequest(f"The body must be a JSON object, e.g. {example}."))


# -- partners -----------------------------------------------------------------------------------


@vendor_endpoint(SIM)
async def list_partners(request: Request, svc: Services) -> Response:
    own = principal(request).client_id
    partners = sorted((p for p in svc.partners.values() if own in (None, p.client_id)), key=lambda p: p.client_id)
    return json_response({"partners": [partner_config.partner_json(p) for p in partners]})


@vendor_endpoint(SIM)
async def get_partner(request: Request, svc: Services) -> Response:
    partner = partner_config.partner_of(svc, client_scope(request, request.path_params["client_id"]) or "")
    return json_response(partner_config.partner_json(partner))


@vendor_endpoint(SIM)
async def put_partner(request: Request, svc: Services) -> Response:
    client_id = client_scope(request, request.path_params["client_id"]) or ""
    body = await _json_body(request, '{"pass_key": "...", "onboarding_partners": ["MYAPP-SDK-STANDALONE_LIVENESS"]}')
    current = svc.partner(client_id)
    if not principal(request).is_admin and current is not None:
        claimed = body.setdefault("onboarding_partners", list(current.onboarding_partners))
        if not isinstance(claimed, list) or set(map(str, claimed)) != set(current.onboarding_partners):
            raise SimForbidden("Only the admin changes a partner's onboarding partners; leave them out.")
    partner, created = await partner_config.put_partner(svc, client_id, body)
    return json_response(partner_config.partner_json(partner), 201 if created else 200)


@vendor_endpoint(SIM)
async def delete_partner(request: Request, svc: Services) -> Response:
    client_id = client_scope(request, request.path_params["client_id"]) or ""
    restored = await partner_config.forget_partner(svc, client_id)
    if restored is None:
        return json_response({"clientId": client_id, "deleted": True})
    return json_response(partner_config.partner_json(restored))


@vendor_endpoint(SIM)
async def patch_callback(request: Request, svc: Services) -> Response:
    client_id = client_scope(request, request.path_params["client_id"]) or ""
    body = await _json_body(request, '{"url": "http://127.0.0.1:9000/callback", "method": "POST"}')
    partner = await partner_config.patch_callback(svc, client_id, body)
    return json_response(partner_config.partner_json(partner))


@vendor_endpoint(SIM)
async def patch_reference_image(request: Request, svc: Services) -> Response:
    """Change some fields of the partner's "Get Reference Image" endpoint (url, method, auth, headers, timeout)."""
    client_id = client_scope(request, request.path_params["client_id"]) or ""
    body = await _json_body(request, '{"url": "http://127.0.0.1:9000/reference-image", "method": "GET"}')
    partner = await partner_config.patch_reference_image(svc, client_id, body)
    return json_response(partner_config.partner_json(partner))


# -- callbacks ----------------------------------------------------------------------------------


class CallbacksQuery(QueryModel):
    """`GET /_sim/callbacks`: filters, and the latest `limit` (default 100) of the matching callbacks."""

    client_id: str | None = Field(None, alias="clientId")
    partner_session_id: str | None = Field(None, alias="partnerSessionId")
    submission_id: str | None = Field(None, alias="submissionId")
    state: CallbackState | None = None
    limit: Annotated[WholeNumber, Field(ge=1, le=LIST_LIMIT_MAX)] = 100


async def _own_callback(request: Request, svc: Services) -> CallbackRecord:
    callback_id = request.path_params["callback_id"]
    found = await callbacks.get_callback(svc, callback_id)
    ensure_own(request, found.client_id, f"There is no callback {callback_id!r}; list them with GET /_sim/callbacks.")
    return found


@vendor_endpoint(SIM)
async def list_callbacks(request: Request, svc: Services) -> Response:
    """Callbacks matching every given filter: the latest `limit` (default 100), oldest first."""
    query = parse(CallbacksQuery, dict(request.query_params), "The query")
    found = await sim_reads.callback_listing(
        svc,
        client_id=client_scope(request, query.client_id),
        partner_session_id=query.partner_session_id,
        submission_id=query.submission_id,
        state=query.state.value if query.state else None,
        limit=query.limit,
    )
    return json_response({"count": len(found), "callbacks": [c.to_json() for c in found]})


@vendor_endpoint(SIM)
async def get_callback(request: Request, svc: Services) -> Response:
    found = await _own_callback(request, svc)
    return json_response(found.to_json(with_attempts=True))


@vendor_endpoint(SIM)
async def redeliver_callback(request: Request, svc: Services) -> Response:
    """A new callback with the same body, due now (the scheduler sends it; advance 0 s to wait for it)."""
    await _own_callback(request, svc)
    created = await callbacks.redeliver(svc, request.path_params["callback_id"])
    return json_response(created.to_json(with_attempts=True), 202)


routes = [
    Route("/_sim/partners", list_partners, methods=["GET"]),
    Route("/_sim/partners/{client_id}", get_partner, methods=["GET"]),
    Route("/_sim/partners/{client_id}", put_partner, methods=["PUT"]),
    Route("/_sim/partners/{client_id}", delete_partner, methods=["DELETE"]),
    Route("/_sim/partners/{client_id}/callback", patch_callback, methods=["PATCH"]),
    Route("/_sim/partners/{client_id}/reference-image", patch_reference_image, methods=["PATCH"]),
    Route("/_sim/callbacks", list_callbacks, methods=["GET"]),
    Route("/_sim/callbacks/{callback_id}", get_callback, methods=["GET"]),
    Route("/_sim/callbacks/{callback_id}/redeliver", redeliver_callback, methods=["POST"]),
]
