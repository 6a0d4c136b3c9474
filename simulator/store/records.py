"""Read-only views of rows. Services and handlers see these, never a row or a table."""

from __future__ import annotations

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
