"""Token Gateway: partner tokens (esign and coe paths) and the pre-v1.2 user token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.endpoints import header, json_response, vendor_endpoint
from simulator.errors import BadRequest, ErrorDialect
from simulator.gateway.wire import token_body
from simulator.services import authentication
from simulator.services.container import Services

ESIGN = ErrorDialect()
COE = ErrorDialect(entity="ONEKYC_TOKEN_SERVICE", data_null=True)
COE_V2 = ErrorDialect(integer_codes=True, entity="ONEKYC_TOKEN_SERVICE", data_null=True)


def _credentials(request: Request, code: str, causes: tuple[str, str]) -> tuple[str, str]:
    client_id, pass_key = header(request, "client-id"), header(request, "pass-key")
    missing = [(code, cause) for value, cause in zip((client_id, pass_key), causes, strict=True) if value is None]
    if missing:
        raise BadRequest(*missing[0], *missing[1:])
    return client_id or "", pass_key or ""


@vendor_endpoint(ESIGN, header_code="1650")
async def esign_partner_token(request: Request, svc: Services) -> Response:
    client_id, pass_key = _credentials(request, "1650", ("MISSING_CLIENT_ID", "MISSING_PASS_KEY"))
    issued = authentication.issue_partner_token(svc, client_id, pass_key, authentication.ESIGN_PARTNER_TOKEN_LIFETIME)
    return json_response(token_body(issued))


@vendor_endpoint(COE)
async def coe_partner_token(request: Request, svc: Services) -> Response:
    client_id, pass_key = _credentials(request, "1539", ("CLIENT_ID_CAN_NOT_BE_EMPTY", "PASS_KEY_CAN_NOT_BE_EMPTY"))
    issued = authentication.issue_partner_token(svc, client_id, pass_key, authentication.COE_PARTNER_TOKEN_LIFETIME)
    return json_response(token_body(issued))


@vendor_endpoint(COE_V2)
async def coe_user_token(request: Request, svc: Services) -> Response:
    client_id, pass_key = header(request, "client-id"), header(request, "pass-key")
    if client_id is None or pass_key is None:
        raise BadRequest("1539", "MISSING_CLIENT_ID_OR_PASS_KEY")
    required = (
        ("x-onboarding-partner", "COE_PARTNER_CAN_NOT_BE_EMPTY"),
        ("x-partner-user-id", "PARTNER_USER_ID_CAN_NOT_BE_EMPTY"),
        ("x-partner-user-id-type", "PARTNER_USER_ID_TYPE_CAN_NOT_BE_EMPTY"),
    )
    values = {name: header(request, name) for name, _ in required}
    for name, cause in required:
        if values[name] is None:
            raise BadRequest("1539", cause)
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
