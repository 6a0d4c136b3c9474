"""Submission, document and callback states, the transition table, and the next-action rule (DESIGN §3)."""

from __future__ import annotations

from enum import StrEnum

from simulator.errors import StateConflict


class Status(StrEnum):
    INITIATED = "INITIATED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    ERROR = "ERROR"


class Result(StrEnum):
    VALID = "VALID"
    INVALID = "INVALID"


class DocumentStatus(StrEnum):
    PENDING = "PENDING"
    UPLOADED = "UPLOADED"
    VERIFIED = "VERIFIED"
    INVALID = "INVALID"
    REJECTED = "REJECTED"


class CallbackState(StrEnum):
    """How a callback ended (GET /_sim/callbacks/{id})."""

    PENDING = "pending"
    DELIVERED = "delivered"
    GIVEN_UP = "given_up"
    DROPPED = "dropped"
    SKIPPED = "skipped"


class NextAction(StrEnum):
    STATUS = "STATUS"
    RETRY = "RETRY"
    EXIT = "EXIT"


TERMINAL = frozenset({Status.COMPLETED, Status.ERROR})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.INITIATED: frozenset({Status.IN_PROGRESS}),
    Status.IN_PROGRESS: frozenset({Status.COMPLETED, Status.ERROR}),
    Status.COMPLETED: frozenset(),
    Status.ERROR: frozenset(),
}


def check_transition(current: Status, target: Status) -> None:
    """Raise the vendor's 409 unless `current -> target` is in the table."""
    if target not in TRANSITIONS[current]:
        raise StateConflict("SUBMISSION_STATE_CONFLICT")


RETRIABLE_REASONS = frozenset({"NOT_LIVE", "INVALID_DOCUMENT", "DOCUMENT_NOT_FOUND", "FACE_MATCH_FAILED"})


def next_action(
    status: Status,
    result: Result | None,
    retriable: bool,
    attempt: int,
    max_attempts: int,
) -> NextAction:
    """What the SDK does after this status: keep polling, capture again, or leave the flow."""
    if status in (Status.INITIATED, Status.IN_PROGRESS):
        return NextAction.STATUS
    if status is Status.COMPLETED and result is Result.VALID:
        return NextAction.EXIT
    if retriable and attempt < max_attempts:
        return NextAction.RETRY
    return NextAction.EXIT
