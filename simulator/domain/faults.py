"""Faults a scenario injects on vendor endpoints: which endpoints, which errors, when one fires.

A fault answers one call of one endpoint, within one partner session, with an HTTP error status, added latency
or a dropped connection. A status the vendor documents for that endpoint answers with the vendor's error
envelope; any other 4xx/5xx (a load balancer's 502, 503, 504, a rate limiter's 429) is what the API gateway in
front of the vendor service would answer: `gateway_body`. It fires on given call numbers (counted per partner
session and endpoint, starting at 1) or with a probability drawn per call. Draws come from the caller: either
`seeded_draw` (a pure function of the fault's own seed, so every session and every run sees the same sequence)
or the simulator's seeded id factory.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from http import HTTPStatus

from simulator.errors import (
    CoeBadRequest,
    CoeForbidden,
    DetailsForbidden,
    DetailsNoSubmission,
    DetailsUnauthorized,
    GenericServiceError,
    InvalidCredentials,
    InvalidSubmissionId,
    InvalidSubmissionRequest,
    InvalidUploadArtifact,
    QuotaExceeded,
    StateConflict,
    StatusNotFound,
    SubmissionNotFound,
    TooLarge,
    Unavailable,
)


class Endpoint(StrEnum):
    """The vendor endpoints of a partner session that faults can target."""

    INITIATE = "initiate"
    PRESIGN = "presign"
    UPLOAD = "upload"
    CONFIRM = "confirm"
    STATUS = "status"
    DETAILS = "details"


# Per endpoint: HTTP status -> (code, cause) as the vendor's page for that endpoint documents it; the codes are
# the error classes' (`simulator.errors`).
# `upload` is the object storage behind the presigned URL, which no vendor page describes.
DOCUMENTED_ERRORS: dict[Endpoint, dict[int, tuple[str, str]]] = {
    Endpoint.INITIATE: {
        400: (CoeBadRequest.code, "INVALID_REQUEST_BODY"),
        401: (InvalidCredentials.code, "UNAUTHORIZED"),
        403: (CoeForbidden.code, "ONBOARDING_PARTNER_DOES_NOT_BELONG_TO_CLIENT"),
        500: (GenericServiceError.code, "GENERIC_SERVICE_ERROR"),
    },
    Endpoint.PRESIGN: {
        400: (InvalidSubmissionRequest.code, "INVALID_SUBMISSION_TYPE"),
        429: (QuotaExceeded.code, "SUBMISSION_QUOTA_EXCEEDED"),
        500: (GenericServiceError.code, "SOMETHING_WENT_WRONG"),
    },
    Endpoint.UPLOAD: {
        403: ("403", "REQUEST_EXPIRED"),
        413: (TooLarge.code, "ENTITY_TOO_LARGE"),
        422: (InvalidUploadArtifact.code, "INVALID_UPLOAD_ARTIFACT"),
        500: (GenericServiceError.code, "GENERIC_SERVICE_ERROR"),
        503: (Unavailable.code, "SERVICE_UNAVAILABLE"),
    },
    Endpoint.CONFIRM: {
        400: (InvalidSubmissionRequest.code, "INVALID_CONFIRM_UPLOAD_REQUEST"),
        401: (InvalidCredentials.code, "UNAUTHORIZED"),
        403: (CoeForbidden.code, "FORBIDDEN"),
        404: (SubmissionNotFound.code, "SUBMISSION_DOES_NOT_EXIST"),
        409: (StateConflict.code, "SUBMISSION_STATE_CONFLICT"),
        422: (InvalidUploadArtifact.code, "INVALID_UPLOAD_ARTIFACT"),
        429: (QuotaExceeded.code, "TOO_MANY_REQUESTS"),
        500: (GenericServiceError.code, "GENERIC_SERVICE_ERROR"),
        503: (Unavailable.code, "SERVICE_UNAVAILABLE"),
    },
    Endpoint.STATUS: {
        400: (InvalidSubmissionId.code, "INVALID_SUBMISSION_ID"),
        404: (StatusNotFound.code, "SUBMISSION_DOES_NOT_EXIST"),
        500: (GenericServiceError.code, "SOMETHING_WENT_WRONG"),
    },
    Endpoint.DETAILS: {
        400: (DetailsNoSubmission.code, "SUBMISSION_DOES_NOT_EXIST"),
        401: (DetailsUnauthorized.code, "UNAUTHORIZED"),
        403: (DetailsForbidden.code, "FORBIDDEN"),
        500: (GenericServiceError.code, "GENERIC_SERVICE_ERROR"),
    },
}


def documented_statuses(endpoint: Endpoint) -> list[int]:
    return sorted(DOCUMENTED_ERRORS[endpoint])


def documented_error(endpoint: Endpoint, status: int) -> tuple[str, str] | None:
    """The vendor's (code, cause) for `status` on `endpoint`, or None when the vendor documents none."""
    return DOCUMENTED_ERRORS[endpoint].get(status)


GATEWAY_MESSAGES: dict[int, str] = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Endpoint request timed out",
}


def gateway_body(status: int) -> dict[str, str]:
    """The body an API gateway or load balancer answers with when the call never reached the vendor service.

    `{"message": "<reason>"}`, the JSON shape AWS API Gateway and Kong use for their own errors (e.g. 504
    `{"message": "Endpoint request timed out"}`); the vendor's error envelope is for errors its services
    answer. The vendor does not publish its gateway's bodies, so this is a documented choice (README,
    "Faults").
    """
    message = GATEWAY_MESSAGES.get(status)
    if message is None:
        try:
            message = HTTPStatus(status).phrase
        except ValueError:
            message = "Client Error" if status < 500 else "Server Error"
    return {"message": message}


def seeded_draw(seed: int, endpoint: Endpoint, call: int) -> float:
    """A uniform number in [0, 1) that depends only on (seed, endpoint, call): the same in every run."""
    digest = hashlib.sha256(f"{seed}:{endpoint.value}:{call}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def fires(on_calls: list[int] | None, probability: float | None, call: int, draw: float) -> bool:
    """Whether a fault with these triggers fires on call number `call` (1-based), given a draw in [0, 1)."""
    if on_calls is not None:
        return call in on_calls
    if probability is not None:
        return draw < probability
    return True
