"""Verdicts a submission can end with, and what each one looks like on the wire."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from simulator.domain.states import RETRIABLE_REASONS, DocumentStatus, Result, Status


class Outcome(StrEnum):
    PASS = "PASS"
    NOT_LIVE = "NOT_LIVE"
    INVALID_DOCUMENT = "INVALID_DOCUMENT"
    DOCUMENT_NOT_FOUND = "DOCUMENT_NOT_FOUND"
    FACE_MATCH_FAILED = "FACE_MATCH_FAILED"
    REFERENCE_IMAGE_VALIDATION_FAILED = "REFERENCE_IMAGE_VALIDATION_FAILED"
    ERROR = "ERROR"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The persisted end of a submission."""

    status: Status
    result: Result | None
    reason_code: str
    retriable: bool
    selfie_status: DocumentStatus
    error_message: str | None = None
    reference_reason_code: str | None = None


_SELFIE_STATUS = {
    Outcome.PASS: DocumentStatus.VERIFIED,
    Outcome.NOT_LIVE: DocumentStatus.REJECTED,
    Outcome.INVALID_DOCUMENT: DocumentStatus.INVALID,
    Outcome.DOCUMENT_NOT_FOUND: DocumentStatus.INVALID,
    Outcome.FACE_MATCH_FAILED: DocumentStatus.REJECTED,
    Outcome.REFERENCE_IMAGE_VALIDATION_FAILED: DocumentStatus.VERIFIED,
    Outcome.ERROR: DocumentStatus.INVALID,
}


def verdict_for(
    outcome: Outcome,
    *,
    retriable: bool | None = None,
    error_message: str | None = None,
    reference_reason_code: str | None = None,
) -> Verdict:
    """The verdict `outcome` produces; `retriable` overrides the reason's default (ERROR: not retriable)."""
    if outcome is Outcome.PASS:
        return Verdict(Status.COMPLETED, Result.VALID, "", False, DocumentStatus.VERIFIED)
    if outcome is Outcome.ERROR:
        return Verdict(
            Status.ERROR,
            None,
            "VERIFICATION_FAILED",
            bool(retriable),
            DocumentStatus.INVALID,
            error_message or "Verification failed",
        )
    reason = outcome.value
    return Verdict(
        Status.COMPLETED,
        Result.INVALID,
        reason,
        reason in RETRIABLE_REASONS if retriable is None else retriable,
        _SELFIE_STATUS[outcome],
        reference_reason_code=reference_reason_code
        or ("NOT_EKTP" if outcome is Outcome.REFERENCE_IMAGE_VALIDATION_FAILED else None),
    )
