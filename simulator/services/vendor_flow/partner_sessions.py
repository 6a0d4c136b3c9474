"""Partner sessions: Initiate Flow creates one; an SDK call names the one it acts for.

A v1.2 user token carries its session's key; a pre-v1.2 user token is bound to a user only, and its
partner session is created by the SDK's first call that names it (`session_of_caller`).
Each function raises `VendorError`s; the handlers render them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.errors import CoeBadRequest, CoeForbidden, unauthorized
from simulator.services import session_scenarios
from simulator.services.context import Services
from simulator.services.vendor_flow.authentication import USER_TOKEN_LIFETIME
from simulator.store.errors import DuplicateError
from simulator.store.records import SessionRecord
from simulator.tokens import IssuedToken, TokenClaims

INITIATE_FLOWS = ("FACE_VERIFICATION", "KTP_SCAN", "KYC_LITE", "ON_DEMAND_FR", "STANDALONE_LIVENESS")
LAUNCH_PATH = "/kyc/v2/index.html"


@dataclass(frozen=True, slots=True)
class InitiateRequest:
    """Initiate Flow as the handler parsed it: the four identity headers and the body's fields."""

    onboarding_partner: str
    user_id: str
    user_id_type: str
    partner_session_id: str
    flow: str
    source: str
    theme: str
    success_url: str | None
    failure_url: str | None
    additional_details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class InitiateResult:
    """The new session, its user token, and the Web SDK launch URL (`source=WEB_SDK` only)."""

    session: SessionRecord
    token: IssuedToken
    launch_url: str | None


def flow_of_onboarding_partner(onboarding_partner: str) -> str | None:
    """The flow an onboarding partner names, or None when it names none the simulator knows.

    The vendor's pattern is `PARTNER_CODE-PLATFORM-FLOW` (post_coe-partner-v1-initiate-flow.json); the
    COE flows are sometimes prefixed (`CLIENT_X-SDK-COE_FACE_VERIFICATION`, vendor-notes T3).
    """
    flow = onboarding_partner.rsplit("-", 1)[-1].removeprefix("COE_")
    return flow if "-" in onboarding_partner and flow in INITIATE_FLOWS else None


async def initiate_flow(svc: Services, claims: TokenClaims, request: InitiateRequest) -> InitiateResult:
    """A session and its user token (or launch URL).

    Raises 401 UNAUTHORIZED (unknown partner), 403 ONBOARDING_PARTNER_DOES_NOT_BELONG_TO_CLIENT, 400
    `1539` INVALID_FLOW when `flow` contradicts the flow the onboarding partner was issued for (the cause
    the vendor lists for Initiate Flow, vendor-notes G1e), 400 DUPLICATE_PARTNER_SESSION_ID.
    """
    partner = svc.partner(claims.client_id)
    if partner is None:
        raise unauthorized()
    if not partner.owns(request.onboarding_partner):
        raise CoeForbidden("ONBOARDING_PARTNER_DOES_NOT_BELONG_TO_CLIENT")
    named = flow_of_onboarding_partner(request.onboarding_partner)
    if named is not None and named != request.flow:
        raise CoeBadRequest("INVALID_FLOW")
    choice = await session_scenarios.choose_for_new_session(
        svc, claims.client_id, request.partner_session_id, request.user_id
    )
    key = svc.ids.uuid()
    token = svc.tokens.issue(
        "user",
        claims.client_id,
        choice.behaviour.user_token_lifetime_seconds or USER_TOKEN_LIFETIME,
        session_key=key,
        partner_session_id=request.partner_session_id,
        onboarding_partner=request.onboarding_partner,
        user_id=request.user_id,
        user_id_type=request.user_id_type,
        flow=request.flow,
    )
    session = SessionRecord(
        key=key,
        client_id=claims.client_id,
        partner_session_id=request.partner_session_id,
        onboarding_partner=request.onboarding_partner,
        user_id=request.user_id,
        user_id_type=request.user_id_type,
        flow=request.flow,
        source=request.source,
        theme=request.theme,
        success_url=request.success_url,
        failure_url=request.failure_url,
        additional_details=request.additional_details,
        scenario=choice.name,
        max_attempts=choice.behaviour.max_attempts or partner.max_attempts or svc.settings.max_attempts,
        token_jti=token.claims.jti,
        created_at=svc.clock.now(),
    )
    try:
        await svc.repo.create_session(session)
    except DuplicateError:
        raise CoeBadRequest("DUPLICATE_PARTNER_SESSION_ID") from None
    await session_scenarios.remember_choice(svc, session, choice)
    launch_url = None
    if request.source == "WEB_SDK":
        launch_url = f"{svc.settings.base_url}{LAUNCH_PATH}#/launch-v1?token={token.token}"
    return InitiateResult(session, token, launch_url)


@dataclass(frozen=True, slots=True)
class SdkContext:
    """Who is calling an SDK endpoint: the user token's claims and the session they are bound to."""

    claims: TokenClaims
    partner_session_id: str
    sdk_session_id: str


def check_sdk_caller(svc: Services, token: str, partner_session_id: str, sdk_session_id: str) -> SdkContext:
    """The verified caller of an SDK endpoint; 401 for a bad user token, 403 for another session's token."""
    claims = svc.tokens.verify(token, "user")
    if claims.partner_session_id is not None and claims.partner_session_id != partner_session_id:
        raise CoeForbidden("FORBIDDEN")
    return SdkContext(claims, partner_session_id, sdk_session_id)


async def session_of_caller(svc: Services, ctx: SdkContext, submission_type: str) -> SessionRecord:
    """The caller's partner session; a pre-v1.2 token's is created here, with `submission_type` as its flow.

    Raises 401 UNAUTHORIZED (the token's session is gone), 403 FORBIDDEN (another user's session).
    """
    claims = ctx.claims
    if claims.session_key is not None:
        session = await svc.repo.get_session(claims.session_key)
        if session is None:
            raise unauthorized()
        return session
    # A pre-v1.2 user token: the SDK names the partner session; create it on first use.
    found = await svc.repo.find_session(claims.client_id, ctx.partner_session_id)
    if found is not None:
        if found.user_id != claims.user_id or found.user_id_type != claims.user_id_type:
            raise CoeForbidden("FORBIDDEN")
        return found
    choice = await session_scenarios.choose_for_new_session(
        svc, claims.client_id, ctx.partner_session_id, claims.user_id or ""
    )
    partner = svc.partner(claims.client_id)
    session = SessionRecord(
        key=svc.ids.uuid(),
        client_id=claims.client_id,
        partner_session_id=ctx.partner_session_id,
        onboarding_partner=claims.onboarding_partner or "",
        user_id=claims.user_id or "",
        user_id_type=claims.user_id_type or "",
        flow=submission_type,
        source="SDK",
        theme="NO_PREFERENCE",
        success_url=None,
        failure_url=None,
        additional_details={},
        scenario=choice.name,
        max_attempts=choice.behaviour.max_attempts
        or (partner.max_attempts if partner else None)
        or svc.settings.max_attempts,
        token_jti=claims.jti,
        created_at=svc.clock.now(),
    )
    try:
        await svc.repo.create_session(session)
    except DuplicateError:
        raced = await svc.repo.find_session(claims.client_id, ctx.partner_session_id)
        if raced is None:
            raise
        return raced
    await session_scenarios.remember_choice(svc, session, choice)
    return session
