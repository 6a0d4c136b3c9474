"""IAB Gateway: Initiate Flow (partner), the SDK's presign / confirm / status, and Get Submission Details."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator.domain.urls import is_absolute_http_url
from simulator.endpoints import header, json_response, read_json_object, vendor_endpoint
from simulator.errors import (
    DETAILS,
    STRING_CODES,
    BadRequest,
    CoeBadRequest,
    DetailsMissingId,
    InvalidSubmissionRequest,
    unauthorized,
)
from simulator.gateway.wire import confirm_body, details_body, initiate_body, presign_body, status_body
from simulator.ids import MAX_PARTNER_ID_CHARS
from simulator.services.context import Services
from simulator.services.vendor_flow import partner_sessions, submissions

FLOWS = partner_sessions.INITIATE_FLOWS
SOURCES = ("SDK", "WEB_SDK")
THEMES = ("DARK_MODE", "LIGHT_MODE", "NO_PREFERENCE")
LOCALES = ("id_ID", "en_ID")


def _required(request: Request, *pairs: tuple[str, str]) -> list[str]:
    """The values of required headers, in order: 400 `1539` with the pair's cause when one is missing, and
    400 `1539` `<HEADER>_TOO_LONG` past `MAX_PARTNER_ID_CHARS` (see `simulator.ids`)."""
    values = []
    for name, cause in pairs:
        value = header(request, name)
        if value is None:
            raise CoeBadRequest(cause)
        if len(value) > MAX_PARTNER_ID_CHARS:
            raise CoeBadRequest(f"{name.upper().replace('-', '_')}_TOO_LONG")
        values.append(value)
    return values


def _initiate_request(body: dict[str, Any], headers: list[str]) -> partner_sessions.InitiateRequest:
    def invalid(cause: str) -> BadRequest:
        return CoeBadRequest(cause)

    flow, source = body.get("flow"), body.get("source")
    if flow not in FLOWS:
        raise invalid("INVALID_FLOW")
    if source not in SOURCES:
        raise invalid("INVALID_SOURCE")
    theme = body.get("theme", "NO_PREFERENCE")
    if theme not in THEMES:
        raise invalid("INVALID_THEME")
    details = body.get("additionalDetails", {})
    if details is None:
        details = {}
    if not isinstance(details, dict):
        raise invalid("INVALID_ADDITIONAL_DETAILS")
    if details.get("userLocale", "id_ID") not in LOCALES:
        raise invalid("INVALID_USER_LOCALE")
    reference = details.get("referenceImageUrl")
    if reference is not None and (not isinstance(reference, str) or not reference.startswith(("http://", "https://"))):
        raise invalid("INVALID_REFERENCE_IMAGE_URL")
    for flag in ("allowQr", "forceQr", "portraitOnly"):
        if flag in details and not isinstance(details[flag], bool):
            raise invalid("INVALID_ADDITIONAL_DETAILS")
    success_url, failure_url = body.get("successRedirectionUrl"), body.get("failureRedirectionUrl")
    for value, cause, bad in (
        (success_url, "SUCCESS_REDIRECTION_URL_CAN_NOT_BE_EMPTY", "INVALID_SUCCESS_REDIRECTION_URL"),
        (failure_url, "FAILURE_REDIRECTION_URL_CAN_NOT_BE_EMPTY", "INVALID_FAILURE_REDIRECTION_URL"),
    ):
        if value is not None and not isinstance(value, str):
            raise invalid(cause)
        if source == "WEB_SDK" and not value:
            raise invalid(cause)
        if value and not is_absolute_http_url(value):
            raise invalid(bad)  # javascript:, data:, //host, /\host: only absolute http(s) URLs are redirected to
    onboarding_partner, user_id, user_id_type, partner_session_id = headers
    return partner_sessions.InitiateRequest(
        onboarding_partner=onboarding_partner,
        user_id=user_id,
        user_id_type=user_id_type,
        partner_session_id=partner_session_id,
        flow=flow,
        source=source,
        theme=theme,
        success_url=success_url or None,
        failure_url=failure_url or None,
        additional_details=details,
    )


@vendor_endpoint(STRING_CODES)
async def initiate_flow(request: Request, svc: Services) -> Response:
    claims = svc.tokens.verify(header(request, "x-onekyc-token"), "partner")
    headers = _required(
        request,
        ("x-onboarding-partner", "COE_PARTNER_CAN_NOT_BE_EMPTY"),
        ("x-partner-user-id", "PARTNER_USER_ID_CAN_NOT_BE_EMPTY"),
        ("x-partner-user-id-type", "PARTNER_USER_ID_TYPE_CAN_NOT_BE_EMPTY"),
        ("x-partner-session-id", "X_PARTNER_SESSION_ID_CAN_NOT_BE_EMPTY"),
    )
    body = await read_json_object(request, CoeBadRequest("INVALID_REQUEST_BODY"))
    result = await partner_sessions.initiate_flow(svc, claims, _initiate_request(body, headers))
    return json_response(initiate_body(result))


def _sdk_caller(request: Request, svc: Services, *, missing_token_is_401: bool = False) -> partner_sessions.SdkContext:
    token = header(request, "x-onekyc-token")
    if token is None:
        if missing_token_is_401:
            raise unauthorized()
        raise CoeBadRequest("COE_PARTNER_CAN_NOT_BE_EMPTY")
    partner_session_id, sdk_session_id = _required(
        request,
        ("x-partner-session-id", "X_PARTNER_SESSION_ID_CAN_NOT_BE_EMPTY"),
        ("x-sdk-session-id", "X_SDK_SESSION_ID_CAN_NOT_BE_EMPTY"),
    )
    return partner_sessions.check_sdk_caller(svc, token, partner_session_id, sdk_session_id)


@vendor_endpoint(STRING_CODES, ambiguous_query=InvalidSubmissionRequest)
async def presign(request: Request, svc: Services) -> Response:
    ctx = _sdk_caller(request, svc)
    result = await submissions.presign(svc, ctx, request.query_params.get("submissionType"))
    return json_response(presign_body(result))


@vendor_endpoint(STRING_CODES)
async def confirm(request: Request, svc: Services) -> Response:
    ctx = _sdk_caller(request, svc, missing_token_is_401=True)
    invalid = InvalidSubmissionRequest("INVALID_CONFIRM_UPLOAD_REQUEST")
    body = await read_json_object(request, invalid)
    submission_id, metadata = body.get("submissionId"), body.get("metadata")
    if not isinstance(submission_id, str) or not submission_id.strip():
        raise invalid
    if metadata is not None and not isinstance(metadata, dict):
        raise invalid
    record = await submissions.confirm_upload(svc, ctx, submission_id.strip(), metadata)
    return json_response(confirm_body(record))


@vendor_endpoint(STRING_CODES)
async def status(request: Request, svc: Services) -> Response:
    ctx = _sdk_caller(request, svc)
    record = await submissions.submission_status(svc, ctx, request.path_params["submission_id"])
    return json_response(status_body(record, strict=svc.settings.strict))


@vendor_endpoint(DETAILS, ambiguous=DetailsMissingId)
async def details(request: Request, svc: Services) -> Response:
    token = header(request, "x-onekyc-token")
    if token is None:
        raise unauthorized()
    found = await submissions.submission_details(
        svc, token, header(request, "x-partner-session-id"), header(request, "x-submission-id")
    )
    return json_response(details_body(found))


routes = [
    Route("/coe-partner/v1/initiate-flow", initiate_flow, methods=["POST"]),
    *(
        Route(path, presign, methods=["GET"])
        for path in (
            "/coe/v1/submissions/urls",
            "/coe-partner/v1/submissions/urls",
            "/coe-partner/v1/submissions/url",
        )
    ),
    *(
        Route(path, confirm, methods=["PUT"])
        for path in (
            "/coe/v1/submissions/urls",
            "/coe-partner/v1/submissions/urls",
            "/coe-partner/v1/submissions/url",
        )
    ),
    *(
        Route(f"{prefix}/v1/submissions/{{submission_id:path}}/status", status, methods=["GET"])
        for prefix in ("/coe", "/coe-partner")
    ),
    *(Route(f"{prefix}/v1/submissions", details, methods=["GET"]) for prefix in ("/coe", "/coe-partner")),
]
