"""Submissions: presign (document upload URLs), confirm, the status poll, and Get Submission Details.

A submission is one attempt of a partner session; its documents are uploaded to the presigned URLs
(`simulator.services.vendor_flow.documents`). Each function raises `VendorError`s; the handlers render them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from simulator.domain.states import DocumentStatus, Status
from simulator.errors import (
    CoeForbidden,
    DetailsForbidden,
    DetailsMissingId,
    DetailsNoSubmission,
    DetailsWrongSession,
    InvalidSubmissionId,
    InvalidSubmissionRequest,
    InvalidUploadArtifact,
    QuotaExceeded,
    StateConflict,
    StatusNotFound,
    SubmissionNotFound,
    unauthorized,
)
from simulator.services import session_scenarios
from simulator.services.context import Services
from simulator.services.partner_calls import reference_endpoint
from simulator.services.vendor_flow.partner_sessions import SdkContext, session_of_caller
from simulator.services.vendor_flow.payloads import selfie_url
from simulator.services.vendor_flow.presigned_urls import ObjectKey
from simulator.services.vendor_flow.processing import complete_submission
from simulator.store.errors import DuplicateError, StaleStateError
from simulator.store.partner_calls import FETCH_REFERENCE
from simulator.store.records import SessionRecord, SubmissionRecord

SUBMISSION_TYPES = ("KTP_SCAN", "STANDALONE_LIVENESS", "FACE_MATCH", "FACE_VERIFICATION", "KYC_LITE")
DOCUMENT_TYPES = ("SELFIE", "ADDITIONAL_SELFIE")


def _accepts(flow: str, submission_type: str) -> bool:
    return submission_type == flow or (flow == "ON_DEMAND_FR" and submission_type == "FACE_MATCH")


@dataclass(frozen=True, slots=True)
class PresignResult:
    """The open submission, one upload URL per document type, and how long the URLs are valid (seconds)."""

    submission: SubmissionRecord
    urls: dict[str, str]
    expiry_seconds: int


async def presign(svc: Services, ctx: SdkContext, submission_type: str | None) -> PresignResult:
    """Upload URLs for the session's open submission, or for a new one while attempts remain."""
    if submission_type not in SUBMISSION_TYPES:
        raise InvalidSubmissionRequest("INVALID_SUBMISSION_TYPE")
    session = await session_of_caller(svc, ctx, submission_type)
    if not _accepts(session.flow, submission_type):
        raise InvalidSubmissionRequest("INVALID_SUBMISSION_TYPE")
    submission = await svc.repo.latest_submission(session.key)
    if submission is None or submission.status in (Status.COMPLETED, Status.ERROR):
        attempt = submission.attempt + 1 if submission else 1
        if attempt > session.max_attempts:
            raise QuotaExceeded("SUBMISSION_QUOTA_EXCEEDED")
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
        raise SubmissionNotFound("SUBMISSION_DOES_NOT_EXIST")
    if not _belongs(submission, ctx):
        raise CoeForbidden("FORBIDDEN")
    if submission.status is not Status.INITIATED:
        raise StateConflict("SUBMISSION_STATE_CONFLICT")
    selfie = submission.documents.get("SELFIE")
    if selfie is None or selfie.status is not DocumentStatus.UPLOADED:
        raise InvalidUploadArtifact("INVALID_UPLOAD_ARTIFACT")
    session = await svc.repo.get_session(submission.session_key)
    if session is None:
        raise SubmissionNotFound("SUBMISSION_DOES_NOT_EXIST")
    plan = await session_scenarios.plan_confirm(svc, submission, session)
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
        raise StateConflict("SUBMISSION_STATE_CONFLICT") from None
    svc.wake_scheduler()
    return record


SUBMISSION_ID_MAX = 128


_SUBMISSION_ID = re.compile(rf"[A-Za-z0-9_-]{{1,{SUBMISSION_ID_MAX}}}")


def _valid_submission_id(submission_id: str) -> bool:
    return _SUBMISSION_ID.fullmatch(submission_id) is not None


async def submission_status(svc: Services, ctx: SdkContext, submission_id: str) -> SubmissionRecord:
    """The hot path: a cached read; one counting statement only for poll-driven processing."""
    if not _valid_submission_id(submission_id):
        raise InvalidSubmissionId("INVALID_SUBMISSION_ID")
    submission = await _own_submission(svc, ctx, submission_id)
    if submission is None or not _belongs(submission, ctx):
        raise StatusNotFound("SUBMISSION_DOES_NOT_EXIST")
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
    """What Get Submission Details answers with: the submission, its session, the selfie's URL (if stored)."""

    submission: SubmissionRecord
    session: SessionRecord
    selfie_url: str | None
    has_reference: bool = False


async def submission_details(
    svc: Services, token: str, partner_session_id: str | None, submission_id: str | None
) -> Details:
    """Get Submission Details (get_coe-v1-submissions.json): by submission id, else the session's latest.

    Raises 401 UNAUTHORIZED, 403 `903` FORBIDDEN (a user token), 400 `1550` when neither id is given,
    400 `1552` SUBMISSION_DOES_NOT_EXIST, 400 `1553` when the submission is another session's.
    """
    peeked = svc.tokens.peek(token) if token else None
    if peeked is None:
        raise unauthorized()
    if peeked.kind != "partner":
        raise DetailsForbidden("FORBIDDEN")
    claims = svc.tokens.verify(token, "partner")
    if not partner_session_id and not submission_id:
        raise DetailsMissingId("PARTNER_USER_ID_CAN_NOT_BE_EMPTY")
    submission: SubmissionRecord | None = None
    if submission_id:
        submission = await svc.repo.cached_submission(submission_id)
        if submission is None or submission.client_id != claims.client_id:
            raise DetailsNoSubmission("SUBMISSION_DOES_NOT_EXIST")
        if partner_session_id and submission.partner_session_id != partner_session_id:
            raise DetailsWrongSession("PARTNER_SESSION_ID_DOES_NOT_BELONG_TO_THE_USER")
    else:
        assert partner_session_id is not None
        session = await svc.repo.find_session(claims.client_id, partner_session_id)
        if session is None:
            raise DetailsNoSubmission("SUBMISSION_DOES_NOT_EXIST")
        submission = await svc.repo.latest_submission(session.key)
        if submission is None:
            raise DetailsNoSubmission("SUBMISSION_DOES_NOT_EXIST")
    session_record = await svc.repo.get_session(submission.session_key)
    assert session_record is not None
    has_reference = session_record.reference_image_url is not None
    if not has_reference:  # else it may have come from the partner's reference-image endpoint
        has_reference = await svc.repo.reference_fetch_of(submission.id) is not None
    return Details(submission, session_record, selfie_url(svc, submission), has_reference)
