"""Token Gateway: partner tokens (esign and coe paths) and the pre-v1.2 user token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.endpoints import header, json_response, vendor_endpoint
from simulator.errors import (
    COE_TOKEN,
    COE_USER_TOKEN,
    STRING_CODES,
    CoeBadRequest,
    EsignBadRequest,
    FixedCode,
)
from simulator.gateway.wire import token_body
from simulator.services.context import Services
from simulator.services.vendor_flow import authentication


def _credentials(request: Request, error: type[FixedCode], causes: tuple[str, str]) -> tuple[str, str]:
    """`client-id` and `pass-key`; one `error` listing the cause of each missing one (vendor-notes S2/S4)."""
    client_id, pass_key = header(request, "client-id"), header(request, "pass-key")
    missing = [cause for value, cause in zip((client_id, pass_key), causes, strict=True) if value is None]
    if missing:
        raise error(*missing)
    return client_id or "", pass_key or ""


@vendor_endpoint(STRING_CODES, ambiguous=EsignBadRequest)
async def esign_partner_token(request: Request, svc: Services) -> Response:
    client_id, pass_key = _credentials(request, EsignBadRequest, ("MISSING_CLIENT_ID", "MISSING_PASS_KEY"))
    issued = authentication.issue_partner_token(svc, client_id, pass_key, authentication.ESIGN_PARTNER_TOKEN_LIFETIME)
    return json_response(token_body(issued))


@vendor_endpoint(COE_TOKEN)
async def coe_partner_token(request: Request, svc: Services) -> Response:
    client_id, pass_key = _credentials(
        request, CoeBadRequest, ("CLIENT_ID_CAN_NOT_BE_EMPTY", "PASS_KEY_CAN_NOT_BE_EMPTY")
    )
    issued = authentication.issue_partner_token(svc, client_id, pass_key, authentication.COE_PARTNER_TOKEN_LIFETIME)
    return json_response(token_body(issued))


@vendor_endpoint(COE_USER_TOKEN)
async def coe_user_token(request: Request, svc: Services) -> Response:
    client_id, pass_key = header(request, "client-id"), header(request, "pass-key")
    if client_id is None or pass_key is None:
        raise CoeBadRequest("MISSING_CLIENT_ID_OR_PASS_KEY")
    required = (
        ("x-onboarding-partner", "COE_PARTNER_CAN_NOT_BE_EMPTY"),
        ("x-partner-user-id", "PARTNER_USER_ID_CAN_NOT_BE_EMPTY"),
        ("x-partner-user-id-type", "PARTNER_USER_ID_TYPE_CAN_NOT_BE_EMPTY"),
    )
    values = {name: header(request, name) for name, _ in required}
    for name, cause in required:
        if values[name] is None:
            raise CoeBadRequest(cause)
    issued = authentication.issue_user_token(
        svc,
        client_id,
        pass_key,
        values["x-onboarding-partner"] or "",
        values["x-partner-user-id"] or "",
        values["x-partner-user-id-type"] or "",
    )
    return json_response(token_body(issued))


routes = [
    Route("/v1/esign/partner/authentication", esign_partner_token, methods=["GET"]),
    Route("/v1/coe/partner/authentication", coe_partner_token, methods=["GET"]),
    Route("/v2/coe/authentication", coe_user_token, methods=["GET"]),
]
