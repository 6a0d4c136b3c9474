"""Read-only views of rows, and the one place that turns a row into one. Services and handlers see these,
never a row or a table."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypeVar

from simulator.domain.states import DocumentStatus, NextAction, Result, Status, next_action

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


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


R = TypeVar("R", bound="DataclassInstance")


# -- rows to records ---------------------------------------------------------------------------


@functools.cache
def _field_names(kind: type[DataclassInstance]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind))


def record_of(kind: type[R], row: Any, **given: Any) -> R:
    """The `kind` dataclass (a record) of a row: each field is the row's column of that name, unless `given`.

    `given` holds the fields a column does not hold as is (an enum of a stored string, the documents of a
    submission). A field neither given nor a column raises AttributeError: a record is never half read.
    """
    return kind(**{name: given[name] if name in given else getattr(row, name) for name in _field_names(kind)})


def session_of(row: Any) -> SessionRecord:
    """A `sessions` row's record."""
    return record_of(SessionRecord, row)


def document_of(row: Any) -> DocumentRecord:
    """A `documents` row's record (its status as the enum)."""
    return record_of(DocumentRecord, row, status=DocumentStatus(row.status))


def submission_of(row: Any, docs: Iterable[Any]) -> SubmissionRecord:
    """A `submissions` row's record, with its `documents` rows by document type."""
    return record_of(
        SubmissionRecord,
        row,
        status=Status(row.status),
        result=Result(row.result) if row.result else None,
        retriable=bool(row.retriable),
        documents={d.doc_type: document_of(d) for d in docs},
    )
