"""`/_sim` actions: reset a scope, force a submission's outcome, trigger its callback, expire a token."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictBool, StringConstraints
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.admin.tenancy import client_scope, ensure_own, principal
from simulator.clock import iso
from simulator.domain.outcomes import Outcome
from simulator.endpoints import json_response, read_json_object, vendor_endpoint
from simulator.errors import SIM, SimBadRequest
from simulator.services.context import Services
from simulator.services.control import interventions
from simulator.services.control import reads as sim_reads
from simulator.services.control import views as sim_views
from simulator.services.control.params import BodyModel, parse
from simulator.services.partner_calls import callbacks


async def _body(request: Request, example: str) -> dict[str, Any]:
    if not (await request.body()).strip():
        return {}
    return await read_json_object(request, SimBadRequest(f"The body must be a JSON object, e.g. {example}."))


NonEmpty = Annotated[str, StringConstraints(min_length=1)]


class ResetBody(BodyModel):
    """`POST /_sim/reset`: `{}` (everything), `{clientId}` (one partner) or `{clientId, partnerSessionId}`."""

    client_id: NonEmpty | None = Field(None, alias="clientId")
    partner_session_id: NonEmpty | None = Field(None, alias="partnerSessionId")


class ForceBody(BodyModel):
    """`POST /_sim/submissions/{id}/force`: the outcome, and `retriable` to override the reason's default."""

    outcome: Outcome
    retriable: StrictBool | None = None


async def _own_submission(request: Request, svc: Services, submission_id: str) -> None:
    """Raise NotFound when a partner names a submission of another partner."""
    if principal(request).is_admin:
        return
    owner = await sim_reads.submission_owner(svc, submission_id)
    unknown = f"There is no submission {submission_id!r}; list sessions with GET /_sim/sessions."
    ensure_own(request, owner or "", unknown)


@vendor_endpoint(SIM)
async def reset(request: Request, svc: Services) -> Response:
    body = parse(ResetBody, await _body(request, '{"clientId": "<client-id>"}'), "The reset body")
    client_id = client_scope(request, body.client_id)
    result = await interventions.reset(svc, client_id, body.partner_session_id)
    return json_response({"reset": result.scope or "all", "deleted": result.deleted})


@vendor_endpoint(SIM)
async def force(request: Request, svc: Services) -> Response:
    body = parse(ForceBody, await _body(request, '{"outcome": "PASS"}'), 'The body (e.g. {"outcome": "PASS"})')
    await _own_submission(request, svc, request.path_params["submission_id"])
    record = await interventions.force_outcome(svc, request.path_params["submission_id"], body.outcome, body.retriable)
    return json_response({"submission": sim_views.submission_json(record)})


@vendor_endpoint(SIM)
async def trigger_callback(request: Request, svc: Services) -> Response:
    await _own_submission(request, svc, request.path_params["submission_id"])
    record = await callbacks.trigger_callback(svc, request.path_params["submission_id"])
    return json_response(record.to_json(with_attempts=True), 202)


@vendor_endpoint(SIM)
async def expire_token(request: Request, svc: Services) -> Response:
    body = await _body(request, '{"token": "<JWT>"}')
    token = body.get("token")
    claims = svc.tokens.peek(token.strip()) if isinstance(token, str) and not principal(request).is_admin else None
    if claims is not None:
        ensure_own(request, claims.client_id, "That token was issued to another partner; expire your own tokens.")
    revoked = await interventions.expire_token(svc, body.get("token"))
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
