"""Read-only views of outbound calls: partner callbacks, their attempts, and reference-image fetches.

`to_json` gives the control API's (camelCase) shape of each; the SQL that reads and writes them is in
`simulator.store.partner_calls`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from simulator.clock import iso
from simulator.domain.states import CallbackState as CallbackState  # callers import it with the records
from simulator.store.records import record_of


@dataclass(frozen=True, slots=True)
class NewCallback:
    """A callback to write: `pending` ones get a delivery job due at `due_at`."""

    id: str
    client_id: str
    session_key: str
    submission_id: str
    partner_session_id: str
    cause: str
    state: CallbackState
    body: dict[str, Any]
    due_at: float
    redelivery_of: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CallbackAttemptRecord:
    number: int
    at: float
    duration_ms: float
    method: str
    url: str
    request_headers: dict[str, str]
    status_code: int | None
    response_excerpt: str | None
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "at": iso(self.at),
            "durationMs": round(self.duration_ms, 1),
            "method": self.method,
            "url": self.url,
            "requestHeaders": self.request_headers,
            "statusCode": self.status_code,
            "responseExcerpt": self.response_excerpt,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class CallbackRecord:
    id: str
    client_id: str
    session_key: str
    submission_id: str
    partner_session_id: str
    cause: str
    redelivery_of: str | None
    state: CallbackState
    body: dict[str, Any]
    attempts: int
    created_at: float
    next_attempt_at: float | None
    finished_at: float | None
    last_status: int | None
    last_error: str | None
    attempt_log: tuple[CallbackAttemptRecord, ...] = ()

    def to_json(self, *, with_attempts: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "clientId": self.client_id,
            "partnerSessionId": self.partner_session_id,
            "submissionId": self.submission_id,
            "sessionKey": self.session_key,
            "cause": self.cause,
            "redeliveryOf": self.redelivery_of,
            "state": self.state.value,
            "createdAt": iso(self.created_at),
            "nextAttemptAt": iso(self.next_attempt_at),
            "finishedAt": iso(self.finished_at),
            "attemptCount": self.attempts,
            "lastStatus": self.last_status,
            "lastError": self.last_error,
            "body": self.body,
        }
        if with_attempts:
            body["attempts"] = [a.to_json() for a in self.attempt_log]
        return body


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """One finished delivery attempt and what it leaves the callback in."""

    callback_id: str
    job_id: int
    attempt: CallbackAttemptRecord
    state: CallbackState
    next_attempt_at: float | None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """How one reference-image fetch ended. `outcome`: image, not_image, too_large, http_error, unreachable."""

    outcome: str
    final_url: str
    redirects: int
    duration_ms: float
    status_code: int | None = None
    content_type: str | None = None
    bytes_read: int = 0
    data: bytes | None = None
    error: str | None = None
    response_excerpt: str | None = None


@dataclass(frozen=True, slots=True)
class ReferenceFetchRecord:
    id: int
    client_id: str
    session_key: str
    submission_id: str
    url: str
    state: str
    outcome: str | None
    status_code: int | None
    final_url: str | None
    redirects: int
    content_type: str | None
    bytes_read: int
    size: int | None
    error: str | None
    response_excerpt: str | None
    created_at: float
    fetched_at: float | None
    duration_ms: float | None

    @property
    def pending(self) -> bool:
        return self.state == "pending"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "clientId": self.client_id,
            "sessionKey": self.session_key,
            "submissionId": self.submission_id,
            "url": self.url,
            "state": self.state,
            "outcome": self.outcome,
            "statusCode": self.status_code,
            "finalUrl": self.final_url,
            "redirects": self.redirects,
            "contentType": self.content_type,
            "bytesRead": self.bytes_read,
            "imageSize": self.size,
            "error": self.error,
            "responseExcerpt": self.response_excerpt,
            "createdAt": iso(self.created_at),
            "fetchedAt": iso(self.fetched_at),
            "durationMs": None if self.duration_ms is None else round(self.duration_ms, 1),
        }


# -- rows to records ---------------------------------------------------------------------------


def callback_attempt_of(row: Any) -> CallbackAttemptRecord:
    """A `callback_attempts` row's record."""
    return record_of(CallbackAttemptRecord, row, request_headers=dict(row.request_headers))


def callback_of(row: Any, attempts: Sequence[CallbackAttemptRecord] = ()) -> CallbackRecord:
    """A `callbacks` row's record, with its attempts (oldest first) when they were read."""
    return record_of(
        CallbackRecord, row, state=CallbackState(row.state), body=dict(row.body), attempt_log=tuple(attempts)
    )


def reference_fetch_of(row: Any) -> ReferenceFetchRecord:
    """A `reference_fetches` row's record; `size` is the stored image's length (a computed column)."""
    return record_of(ReferenceFetchRecord, row)
