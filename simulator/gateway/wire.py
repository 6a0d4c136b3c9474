"""Vendor response bodies built from records: the one place records become wire JSON.

Field names and casing follow each vendor page: snake_case on the Token Gateway, camelCase on the
IAB Gateway, numbers in strings where the vendor writes them so. `strict` drops every field the
vendor does not document (`nextAction`, `attempt`, `maxAttempts`).
"""

from __future__ import annotations

from typing import Any

from simulator.clock import iso
from simulator.domain.states import DocumentStatus, NextAction, Result, Status
from simulator.services.vendor_flow.partner_sessions import InitiateResult
from simulator.services.vendor_flow.payloads import submission_data
from simulator.services.vendor_flow.submissions import Details, PresignResult
from simulator.store.records import SubmissionRecord
from simulator.tokens import IssuedToken

_UI_MESSAGES: dict[NextAction, tuple[str, str]] = {
    NextAction.STATUS: ("Processing", "Your submission is being processed"),
    NextAction.RETRY: ("Let's try again", "We could not verify your selfie. Please take it again."),
}


def success(data: dict[str, Any]) -> dict[str, Any]:
    return {"success": True, "data": data}


def token_body(issued: IssuedToken) -> dict[str, Any]:
    return success(
        {
            "token": issued.token,
            "expiry_seconds": str(issued.expiry_seconds),
            "expires_at": str(issued.claims.expires_at),
        }
    )


def initiate_body(result: InitiateResult) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if result.launch_url is not None:
        data["launchUrl"] = result.launch_url
    else:
        data["token"] = result.token.token
    data["expirySeconds"] = str(result.token.expiry_seconds)
    data["expiresAt"] = str(result.token.claims.expires_at)
    return success(data)


def presign_body(result: PresignResult) -> dict[str, Any]:
    submission = result.submission
    documents = {
        doc_type: {
            "documentUrl": url,
            "documentReference": submission.documents[doc_type].reference,
            "expiryInSeconds": str(result.expiry_seconds),
        }
        for doc_type, url in result.urls.items()
    }
    return success({"submissionId": submission.id, "status": submission.status.value, "documents": documents})


def confirm_body(submission: SubmissionRecord) -> dict[str, Any]:
    title, message = _UI_MESSAGES[NextAction.STATUS]
    return success({"submissionId": submission.id, "uiMessages": {"message_1": {"title": title, "message": message}}})


def status_body(submission: SubmissionRecord, *, strict: bool) -> dict[str, Any]:
    terminal = submission.status in (Status.COMPLETED, Status.ERROR)
    verification = None
    if submission.status is Status.COMPLETED:
        approved = submission.result is Result.VALID
        verification = {
            "isApproved": approved,
            "riskLevel": "LOW" if approved else "HIGH",
            "confidence": "95" if approved else "12",
        }
    data: dict[str, Any] = {
        "submissionId": submission.id,
        "status": submission.status.value,
        "submissionType": submission.submission_type,
        "createdAt": iso(submission.created_at),
        "completedAt": iso(submission.completed_at) if terminal else None,
    }
    if verification is not None:
        # The vendor schema's `nullable` sits beside a $ref, so a null here would not validate.
        data["verificationResult"] = verification
    if submission.status is Status.ERROR:
        data["errorMessage"] = submission.error_message or "Verification failed"
    data["documents"] = {
        doc.doc_type: {
            "status": doc.status.value,
            "documentReference": None if doc.status is DocumentStatus.PENDING else doc.reference,
        }
        for doc in submission.documents.values()
    }
    action = submission.next_action
    ui = _UI_MESSAGES.get(action)
    if ui is not None and (action is NextAction.RETRY or not terminal):
        data["uiMessages"] = {"message_1": {"title": ui[0], "message": ui[1]}}
    if not strict:
        data["nextAction"] = action.value
        data["attempt"] = submission.attempt
        data["maxAttempts"] = submission.max_attempts
    return success(data)


def details_body(details: Details) -> dict[str, Any]:
    return success(
        submission_data(
            details.submission,
            details.selfie_url,
            has_reference=details.has_reference,
        )
    )
