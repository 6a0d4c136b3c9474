"""`/_sim` actions: reset a scope, force a submission's outcome, trigger its callback, expire a token."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.admin.tenancy import client_scope, ensure_own, principal
from simulator.clock import iso
from simulator.errors import BadRequest, ErrorDialect
from simulator.gateway.http import json_response, read_json_object, vendor_endpoint
from simulator.services import callbacks, control, inspect
from simulator.services.container import Services

ADMIN = ErrorDialect()


async def _body(request: Request, example: str) -> dict[str, Any]:
    if not (await request.body()).strip():
        return {}
    return await read_json_object(request, BadRequest("SIM_400", f"The body must be a JSON object, e.g. {example}."))


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise BadRequest("SIM_400", f"`{name}` must be a non-empty string.")
    return value


async def _own_submission(request: Request, svc: Services, submission_id: str) -> None:
    """Raise NotFound when a partner names a submission of another partner."""
    if principal(request).is_admin:
        return
    record = await svc.repo.get_submission(submission_id)
    unknown = f"There is no submission {submission_id!r}; list sessions with GET /_sim/sessions."
    ensure_own(request, record.client_id if record else "", unknown)


@vendor_endpoint(ADMIN)
async def reset(request: Request, svc: Services) -> Response:
    body = await _body(request, '{"clientId": "<client-id>"}')
    unknown = set(body) - {"clientId", "partnerSessionId"}
    if unknown:
        raise BadRequest(
            "SIM_400", f"Unknown field(s) {sorted(unknown)}: send {{}}, {{clientId}} or {{clientId, partnerSessionId}}."
        )
    client_id = client_scope(request, _optional_text(body, "clientId"))
    result = await control.reset(svc, client_id, _optional_text(body, "partnerSessionId"))
    return json_response({"reset": result.scope or "all", "deleted": result.deleted})


@vendor_endpoint(ADMIN)
async def force(request: Request, svc: Services) -> Response:
    body = await _body(request, '{"outcome": "PASS"}')
    retriable = body.get("retriable")
    if retriable is not None and not isinstance(retriable, bool):
        raise BadRequest("SIM_400", "`retriable` must be true or false (or left out for the reason's default).")
    outcome = control.outcome_of(body.get("outcome"))
    await _own_submission(request, svc, request.path_params["submission_id"])
    record = await control.force_outcome(svc, request.path_params["submission_id"], outcome, retriable)
    return json_response({"submission": inspect.submission_json(record)})


@vendor_endpoint(ADMIN)
async def trigger_callback(request: Request, svc: Services) -> Response:
    await _own_submission(request, svc, request.path_params["submission_id"])
    record = await callbacks.trigger_callback(svc, request.path_params["submission_id"])
    return json_response(record.to_json(with_attempts=True), 202)


@vendor_endpoint(ADMIN)
async def expire_token(request: Request, svc: Services) -> Response:
    body = await _body(request, '{"token": "<JWT>"}')
    token = body.get("token")
    claims = svc.tokens.peek(token.strip()) if isinstance(token, str) and not principal(request).is_admin else None
    if claims is not None:
        ensure_own(request, claims.client_id, "That token was issued to another partner; expire your own tokens.")
    revoked = await control.expire_token(svc, body.get("token"))
    claims = revoked.claims
    return json_response(
        {
            "revoked": True,
            "alreadyRevoked": not revoked.newly_revoked,
            "jti": claims.jti,
            "kind": claims.kind,
            "clientId": claims.client_id,
            "partnerSessionId": claims.partner_session_id,
            "expiresAt": iso(claims.expires_at),
        }
    )


routes = [
    Route("/_sim/reset", reset, methods=["POST"]),
    Route("/_sim/submissions/{submission_id}/force", force, methods=["POST"]),
    Route("/_sim/submissions/{submission_id}/callback", trigger_callback, methods=["POST"]),
    Route("/_sim/tokens/expire", expire_token, methods=["POST"]),
]
