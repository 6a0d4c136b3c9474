"""Read-only views of rows, and the one place that turns a row into one. Services and handlers see these,
never a row or a table."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from simulator.domain.states import DocumentStatus, NextAction, Result, Status, next_action


@dataclass(frozen=True, slots=True)
class SessionRecord:
    key: str
    client_id: str
    partner_session_id: str
    onboarding_partner: str
    user_id: str
    user_id_type: str
    flow: str
    source: str
    theme: str
    success_url: str | None
    failure_url: str | None
    additional_details: dict[str, Any]
    scenario: str
    max_attempts: int
    token_jti: str
    created_at: float

    @property
    def reference_image_url(self) -> str | None:
        value = self.additional_details.get("referenceImageUrl")
        return value if isinstance(value, str) and value else None


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    reference: str
    submission_id: str
    doc_type: str
    status: DocumentStatus
    content_type: str | None
    size: int | None
    uploaded_at: float | None


@dataclass(frozen=True, slots=True)
class SubmissionRecord:
    id: str
    session_key: str
    client_id: str
    partner_session_id: str
    attempt: int
    max_attempts: int
    submission_type: str
    flow: str
    status: Status
    result: Result | None
    reason_code: str | None
    retriable: bool
    error_message: str | None
    reference_reason_code: str | None
    plan: dict[str, Any] | None
    after_polls: int | None
    polls: int
    sdk_session_id: str | None
    created_at: float
    confirmed_at: float | None
    completed_at: float | None
    documents: dict[str, DocumentRecord] = field(default_factory=dict)

    @property
    def next_action(self) -> NextAction:
        return next_action(self.status, self.result, self.retriable, self.attempt, self.max_attempts)


@dataclass(frozen=True, slots=True)
class JobRecord:
    id: int
    kind: str
    ref: str
    due_at: float
    attempts: int
    payload: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class TransitionRecord:
    submission_id: str
    from_status: str | None
    to_status: str
    at: float
    cause: str


# -- rows to records ---------------------------------------------------------------------------


def session_of(row: Any) -> SessionRecord:
    return SessionRecord(**{name: getattr(row, name) for name in SessionRecord.__slots__})


def document_of(row: Any) -> DocumentRecord:
    return DocumentRecord(
        reference=row.reference,
        submission_id=row.submission_id,
        doc_type=row.doc_type,
        status=DocumentStatus(row.status),
        content_type=row.content_type,
        size=row.size,
        uploaded_at=row.uploaded_at,
    )


def submission_of(row: Any, docs: Iterable[Any]) -> SubmissionRecord:
    return SubmissionRecord(
        id=row.id,
        session_key=row.session_key,
        client_id=row.client_id,
        partner_session_id=row.partner_session_id,
        attempt=row.attempt,
        max_attempts=row.max_attempts,
        submission_type=row.submission_type,
        flow=row.flow,
        status=Status(row.status),
        result=Result(row.result) if row.result else None,
        reason_code=row.reason_code,
        retriable=bool(row.retriable),
        error_message=row.error_message,
        reference_reason_code=row.reference_reason_code,
        plan=row.plan,
        after_polls=row.after_polls,
        polls=row.polls,
        sdk_session_id=row.sdk_session_id,
        created_at=row.created_at,
        confirmed_at=row.confirmed_at,
        completed_at=row.completed_at,
        documents={d.doc_type: document_of(d) for d in docs},
    )
