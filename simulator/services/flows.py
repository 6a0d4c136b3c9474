"""The Selfie Liveness flow: tokens, initiate flow, presign, upload, confirm, status and details.

Each public function is one use case, called by exactly one kind of handler with already-parsed
input. They raise `VendorError`s; rendering them is the handlers' business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from simulator.domain.states import DocumentStatus, Status
from simulator.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unprocessable,
    unauthorized,
)
from simulator.services import reference_endpoint, scenarios
from simulator.services.container import Services
from simulator.services.payloads import selfie_url
from simulator.services.processing import complete_submission
from simulator.services.storage import ObjectKey
from simulator.store.errors import DuplicateError, StaleStateError
from simulator.store.outbound import FETCH_REFERENCE
from simulator.store.records import SessionRecord, SubmissionRecord
from simulator.tokens import IssuedToken, TokenClaims

USER_TOKEN_LIFETIME = 5_184_000
ESIGN_PARTNER_TOKEN_LIFETIME = 1800
COE_PARTNER_TOKEN_LIFETIME = 3600
INITIATE_FLOWS = ("FACE_VERIFICATION", "KTP_SCAN", "KYC_LITE", "ON_DEMAND_FR", "STANDALONE_LIVENESS")
SUBMISSION_TYPES = ("KTP_SCAN", "STANDALONE_LIVENESS", "FACE_MATCH", "FACE_VERIFICATION", "KYC_LITE")
DOCUMENT_TYPES = ("SELFIE", "ADDITIONAL_SELFIE")
LAUNCH_PATH = "/kyc/v2/index.html"


# -- Token Gateway ----------------------------------------------------------------------------


def issue_partner_token(svc: Services, client_id: str, pass_key: str, lifetime: int) -> IssuedToken:
    partner = svc.partner(client_id)
    if partner is None or partner.pass_key != pass_key:
        raise unauthorized()
    return svc.tokens.issue("partner", client_id, lifetime)


def issue_user_token(
    svc: Services, client_id: str, pass_key: str, onboarding_partner: str, user_id: str, user_id_type: str
) -> IssuedToken:
    """The pre-v1.2 user token: bound to a user, its partner session is named by the SDK's first call."""
    partner = svc.partner(client_id)
    if partner is None or partner.pass_key != pass_key:
        raise unauthorized()
    if not partner.owns(onboarding_partner):
        raise Forbidden("110", "ONBOARDING_PARTNER_DOES_NOT_BELONG_TO_CLIENT")
    return svc.tokens.issue(
        "user",
        client_id,
        USER_TOKEN_LIFETIME,
        onboarding_partner=onboarding_partner,
        user_id=user_id,
        user_id_type=user_id_type,
    )


# -- Initiate Flow ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InitiateRequest:
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
        raise Forbidden("110", "ONBOARDING_PARTNER_DOES_NOT_BELONG_TO_CLIENT")
    named = flow_of_onboarding_partner(request.onboarding_partner)
    if named is not None and named != request.flow:
        raise BadRequest("1539", "INVALID_FLOW")
    choice = await scenarios.choose_for_new_session(svc, claims.client_id, request.partner_session_id, request.user_id)
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
        raise BadRequest("1539", "DUPLICATE_PARTNER_SESSION_ID") from None
    await scenarios.remember_choice(svc, session, choice)
    launch_url = None
    if request.source == "WEB_SDK":
        launch_url = f"{svc.settings.base_url}{LAUNCH_PATH}#/launch-v1?token={token.token}"
    return InitiateResult(session, token, launch_url)


# -- SDK-facing -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SdkContext:
    """Who is calling an SDK endpoint: the user token's claims and the session they are bound to."""

    claims: TokenClaims
    partner_session_id: str
    sdk_session_id: str


def check_sdk_caller(svc: Services, token: str, partner_session_id: str, sdk_session_id: str) -> SdkContext:
    claims = svc.tokens.verify(token, "user")
    if claims.partner_session_id is not None and claims.partner_session_id != partner_session_id:
        raise Forbidden("110", "FORBIDDEN")
    return SdkContext(claims, partner_session_id, sdk_session_id)


async def _session_of(svc: Services, ctx: SdkContext, submission_type: str) -> SessionRecord:
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
            raise Forbidden("110", "FORBIDDEN")
        return found
    choice = await scenarios.choose_for_new_session(svc, claims.client_id, ctx.partner_session_id, claims.user_id or "")
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
    await scenarios.remember_choice(svc, session, choice)
    return session


def _accepts(flow: str, submission_type: str) -> bool:
    return submission_type == flow or (flow == "ON_DEMAND_FR" and submission_type == "FACE_MATCH")


@dataclass(frozen=True, slots=True)
class PresignResult:
    submission: SubmissionRecord
    urls: dict[str, str]
    expiry_seconds: int


async def presign(svc: Services, ctx: SdkContext, submission_type: str | None) -> PresignResult:
    """Upload URLs for the session's open submission, or for a new one while attempts remain."""
    if submission_type not in SUBMISSION_TYPES:
        raise BadRequest("1542", "INVALID_SUBMISSION_TYPE")
    session = await _session_of(svc, ctx, submission_type)
    if not _accepts(session.flow, submission_type):
        raise BadRequest("1542", "INVALID_SUBMISSION_TYPE")
    submission = await svc.repo.latest_submission(session.key)
    if submission is None or submission.status in (Status.COMPLETED, Status.ERROR):
        attempt = submission.attempt + 1 if submission else 1
        if attempt > session.max_attempts:
            raise TooManyRequests("429", "SUBMISSION_QUOTA_EXCEEDED")
        submission_id = svc.ids.uuid()
        refs = {doc_type: f"{svc.ids.uuid()}_{doc_type}" for doc_type in DOCUMENT_TYPES}
        try:
            submission = await svc.repo.create_submission(
                session, submission_id, attempt, submission_type, refs, svc.clock.now()
            )
        except DuplicateError:
            # A racing presign created this attempt first: hand out its URLs instead.
            submission = await svc.repo.latest_submission(session.key)
            assert submission is not None
    ttl = svc.settings.upload_url_ttl_seconds
    now = svc.clock.now()
    urls = {
        doc.doc_type: svc.signer.sign("PUT", ObjectKey(submission.flow, doc.reference), now, ttl)
        for doc in submission.documents.values()
    }
    return PresignResult(submission, urls, ttl)


async def _own_submission(
    svc: Services, ctx: SdkContext, submission_id: str, *, fresh: bool = False
) -> SubmissionRecord | None:
    """The submission if it is the caller's partner's; `fresh` reads the database, not the cache (a decision
    that changes state must not rest on what another instance may have changed a moment ago)."""
    if fresh:
        submission = await svc.repo.get_submission(submission_id)
    else:
        submission = await svc.repo.cached_submission(submission_id)
    if submission is None or submission.client_id != ctx.claims.client_id:
        return None
    return submission


def _belongs(submission: SubmissionRecord, ctx: SdkContext) -> bool:
    if ctx.claims.session_key is not None:
        return submission.session_key == ctx.claims.session_key
    return submission.partner_session_id == ctx.partner_session_id


async def confirm_upload(
    svc: Services, ctx: SdkContext, submission_id: str, metadata: dict[str, Any] | None
) -> SubmissionRecord:
    """INITIATED -> IN_PROGRESS; the verdict comes later, after a clock delay or N status polls."""
    submission = await _own_submission(svc, ctx, submission_id, fresh=True)
    if submission is None:
        raise NotFound("404", "SUBMISSION_DOES_NOT_EXIST")
    if not _belongs(submission, ctx):
        raise Forbidden("110", "FORBIDDEN")
    if submission.status is not Status.INITIATED:
        raise Conflict("409", "SUBMISSION_STATE_CONFLICT")
    selfie = submission.documents.get("SELFIE")
    if selfie is None or selfie.status is not DocumentStatus.UPLOADED:
        raise Unprocessable("422", "INVALID_UPLOAD_ARTIFACT")
    session = await svc.repo.get_session(submission.session_key)
    if session is None:
        raise NotFound("404", "SUBMISSION_DOES_NOT_EXIST")
    plan = await scenarios.plan_confirm(svc, submission, session)
    reference = reference_endpoint.reference_source(svc, session)
    now = svc.clock.now()
    due_at = now + plan.delay_seconds if plan.after_polls is None else None
    try:
        record = await svc.repo.confirm(
            submission.id,
            submission.session_key,
            ctx.sdk_session_id,
            metadata,
            plan.plan,
            plan.after_polls,
            due_at,
            now,
            reference_url=reference.url if reference else None,
            reference_job=reference.job_kind if reference else FETCH_REFERENCE,
        )
    except StaleStateError:
        raise Conflict("409", "SUBMISSION_STATE_CONFLICT") from None
    svc.wake_scheduler()
    return record


SUBMISSION_ID_MAX = 128


_SUBMISSION_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{SUBMISSION_ID_MAX}}}")


def _valid_submission_id(submission_id: str) -> bool:
    return _SUBMISSION_ID.fullmatch(submission_id) is not None


async def submission_status(svc: Services, ctx: SdkContext, submission_id: str) -> SubmissionRecord:
    """The hot path: a cached read; one counting statement only for poll-driven processing."""
    if not _valid_submission_id(submission_id):
        raise BadRequest("1541", "INVALID_SUBMISSION_ID")
    submission = await _own_submission(svc, ctx, submission_id)
    if submission is None or not _belongs(submission, ctx):
        raise NotFound("1543", "SUBMISSION_DOES_NOT_EXIST")
    if submission.status is Status.IN_PROGRESS and submission.after_polls is not None:
        counted = await svc.repo.count_poll(submission.id)
        if counted is not None and counted.polls >= submission.after_polls:
            completed = await complete_submission(svc, submission.id, "status-polls")
            return completed or counted
        return counted or await svc.repo.cached_submission(submission.id) or submission
    return submission


# -- Partner-facing ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Details:
    submission: SubmissionRecord
    session: SessionRecord
    selfie_url: str | None
    has_reference: bool = False


async def submission_details(
    svc: Services, token: str, partner_session_id: str | None, submission_id: str | None
) -> Details:
    peeked = svc.tokens.peek(token) if token else None
    if peeked is None:
        raise unauthorized()
    if peeked.kind != "partner":
        raise Forbidden("903", "FORBIDDEN")
    claims = svc.tokens.verify(token, "partner")
    if not partner_session_id and not submission_id:
        raise BadRequest("1550", "PARTNER_USER_ID_CAN_NOT_BE_EMPTY")
    submission: SubmissionRecord | None = None
    if submission_id:
        submission = await svc.repo.cached_submission(submission_id)
        if submission is None or submission.client_id != claims.client_id:
            raise BadRequest("1552", "SUBMISSION_DOES_NOT_EXIST")
        if partner_session_id and submission.partner_session_id != partner_session_id:
            raise BadRequest("1553", "PARTNER_SESSION_ID_DOES_NOT_BELONG_TO_THE_USER")
    else:
        assert partner_session_id is not None
        session = await svc.repo.find_session(claims.client_id, partner_session_id)
        if session is None:
            raise BadRequest("1552", "SUBMISSION_DOES_NOT_EXIST")
        submission = await svc.repo.latest_submission(session.key)
        if submission is None:
            raise BadRequest("1552", "SUBMISSION_DOES_NOT_EXIST")
    session_record = await svc.repo.get_session(submission.session_key)
    assert session_record is not None
    has_reference = session_record.reference_image_url is not None
    if not has_reference:  # else it may have come from the partner's reference-image endpoint
        has_reference = await svc.repo.reference_fetch_of(submission.id) is not None
    return Details(submission, session_record, selfie_url(svc, submission), has_reference)
