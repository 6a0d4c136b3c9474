"""Submission result bodies shared by the gateway and the partner callback.

Get Submission Details answers with `submission_data`; the partner callback sends the same object plus
`userId` / `userIdType` (`callback_body`), so what a partner reads by polling and what it receives by
callback cannot drift. Field names, casing and enums are the vendor's (camelCase, `COMPLETED` /
`ERROR`, `VALID` / `INVALID`, the COE reason codes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simulator.clock import iso
from simulator.domain.states import Status
from simulator.services.vendor_flow.presigned_urls import ObjectKey
from simulator.store.records import SessionRecord, SubmissionRecord

if TYPE_CHECKING:
    from simulator.services.context import Services

LIVENESS_VERSION = "4.0.0"
FACE_MATCH_VERSION = "2.3.0"

CALLBACK_FIELDS = (
    "submissionId",
    "flow",
    "userId",
    "userIdType",
    "partnerSessionId",
    "status",
    "result",
    "processedAt",
    "reasonCode",
    "submissionDetails",
)


def submission_data(
    submission: SubmissionRecord, selfie_url: str | None, *, has_reference: bool = False
) -> dict[str, Any]:
    """The `data` of Get Submission Details; also the core of the partner callback body."""
    status = Status.IN_PROGRESS if submission.status is Status.INITIATED else submission.status
    data: dict[str, Any] = {
        "status": status.value,
        "submissionId": submission.id,
        "flow": submission.flow,
        "partnerSessionId": submission.partner_session_id,
    }
    if submission.status is Status.ERROR:
        data["reasonCode"] = submission.reason_code or "VERIFICATION_FAILED"
        data["processedAt"] = iso(submission.completed_at)
        return data
    if submission.status is Status.COMPLETED:
        assert submission.result is not None
        data["result"] = submission.result.value
        data["reasonCode"] = submission.reason_code or ""
        data["processedAt"] = iso(submission.completed_at)
    details: dict[str, Any] = {}
    if selfie_url is not None:
        details["imageUrls"] = {"selfie": selfie_url}
    results = verification_results(submission, has_reference=has_reference)
    if results:
        details["verificationResults"] = results
    data["submissionDetails"] = details
    return data


def verification_results(submission: SubmissionRecord, *, has_reference: bool) -> dict[str, Any]:
    if submission.status is not Status.COMPLETED:
        return {}
    reason = submission.reason_code or ""
    if reason in ("DOCUMENT_NOT_FOUND", "INVALID_DOCUMENT"):
        return {}
    if reason == "REFERENCE_IMAGE_VALIDATION_FAILED":
        return {
            "referenceImageValidation": {
                "ktp": {
                    "verificationResult": False,
                    "verificationReasonCode": submission.reference_reason_code or "NOT_EKTP",
                }
            }
        }
    results: dict[str, Any] = {}
    if reason == "FACE_MATCH_FAILED":
        results["faceMatch"] = {"score": 0.2758860297206551, "result": False, "version": FACE_MATCH_VERSION}
    elif has_reference:
        results["faceMatch"] = {"score": 0.8758860297206551, "result": True, "version": FACE_MATCH_VERSION}
    results["liveness"] = {"result": reason != "NOT_LIVE", "version": LIVENESS_VERSION}
    if has_reference:
        results["referenceImageValidation"] = {"ktp": {"verificationResult": True}}
    return results


def selfie_url(svc: Services, submission: SubmissionRecord) -> str | None:
    """A presigned GET URL of the uploaded selfie, valid `image_url_ttl_seconds` from now."""
    selfie = submission.documents.get("SELFIE")
    if selfie is None or selfie.uploaded_at is None:
        return None
    key = ObjectKey(submission.flow, selfie.reference)
    return svc.signer.sign("GET", key, svc.clock.now(), svc.settings.image_url_ttl_seconds)


def callback_body(
    submission: SubmissionRecord, session: SessionRecord, selfie: str | None, *, has_reference: bool | None = None
) -> dict[str, Any]:
    """The partner callback body of a terminal submission, fields in the vendor's documented order.

    `has_reference`: the submission had a reference image (from Initiate Flow's URL or the partner's
    reference-image endpoint); default: the session gave a URL.
    """
    if has_reference is None:
        has_reference = session.reference_image_url is not None
    data = submission_data(submission, selfie, has_reference=has_reference)
    data["userId"] = session.user_id
    data["userIdType"] = session.user_id_type
    return {name: data[name] for name in CALLBACK_FIELDS if name in data}
