"""The one exception tree of the vendor API, and the one renderer of the vendor error body.

    VendorError                      status, code, cause (one vendor error item)
    ├── BadRequest            400    missing headers, invalid flow/source/type, bad body
    │   ├── CoeBadRequest              1539  the COE pages' headers and bodies, the COE token gateway
    │   ├── EsignBadRequest            1650  the esign partner token's missing headers
    │   ├── InvalidSubmissionId        1541  Submission Status: a malformed submission id
    │   ├── InvalidSubmissionRequest   1542  presign / confirm: submission type, confirm body
    │   ├── DetailsMissingId           1550  Get Submission Details: neither id given
    │   ├── DetailsNoSubmission        1552  Get Submission Details: no such submission
    │   ├── DetailsWrongSession        1553  Get Submission Details: the submission is another session's
    │   └── SimBadRequest              SIM_400 (and SimUnauthorized 401, SimForbidden 403,
    │                                  SimNotFound 404, SimConflict 409: the /_sim control API)
    ├── Unauthorized          401    missing, malformed, expired or revoked token; bad credentials
    │   ├── InvalidCredentials         110
    │   └── DetailsUnauthorized        1539  as Get Submission Details spells it (injected faults only)
    ├── Forbidden             403    onboarding partner / session / submission of someone else
    │   ├── CoeForbidden               110
    │   └── DetailsForbidden           903   Get Submission Details with a user token
    ├── NotFound              404    unknown submission or path
    │   ├── SubmissionNotFound         404   confirm
    │   └── StatusNotFound             1543  Submission Status
    ├── Conflict              409    illegal state transition (second confirm)
    │   └── StateConflict              409
    ├── PayloadTooLarge       413    upload over the size cap
    │   └── TooLarge                   413
    ├── Unprocessable         422    upload artifact missing or not an image
    │   └── InvalidUploadArtifact      422
    ├── TooManyRequests       429    submission quota exceeded
    │   └── QuotaExceeded              429
    ├── InternalError         500    anything unexpected (never a stack trace)
    │   └── GenericServiceError        900
    ├── ServiceUnavailable    503    injected gateway faults
    │   └── Unavailable                903
    └── StorageError          4xx    the object storage behind the presigned URLs (S3 codes, XML body)

The vendor's codes sit on the classes (`code`), one class per code and status, after the union of every
page's codes in vendor-notes §4.5; a raise site names the class and the cause. `VendorError(code, cause,
status=...)` itself is for codes that are data (a scenario's injected fault, a framework status).

Every vendor page spells its error body slightly differently: codes are strings on most pages and
integers on some, some carry an ``entity`` and some ``"data": null``. Each endpoint declares its
`ErrorDialect` (the dialects are named here); `render_error_body` is the only place that turns errors into a
body, and `/_sim` answers in the plain dialect (`SIM`). The object storage is not an IAB endpoint: it answers
as S3 does (the vendor's presigned URLs are S3-style, on an S3-compatible store), an XML `<Error>` rendered
by `render_storage_error`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from xml.sax.saxutils import escape


@dataclass(frozen=True, slots=True)
class ErrorDialect:
    """How one vendor endpoint spells its error envelope."""

    integer_codes: bool = False
    entity: str | None = None
    data_null: bool = False


DEFAULT_DIALECT = ErrorDialect()
STRING_CODES = DEFAULT_DIALECT  # the IAB pages: string codes, no entity
DETAILS = ErrorDialect(integer_codes=True, data_null=True)  # get_coe-v1-submissions.json
COE_TOKEN = ErrorDialect(entity="ONEKYC_TOKEN_SERVICE", data_null=True)  # get_v1-coe-partner-authentication.json
COE_USER_TOKEN = ErrorDialect(integer_codes=True, entity="ONEKYC_TOKEN_SERVICE", data_null=True)  # get_v2-coe-…
SIM = DEFAULT_DIALECT  # the /_sim control API and the simulator's own pages


class VendorError(Exception):
    """One or more vendor error items sharing an HTTP status."""

    status: int = 500

    def __init__(self, code: str, cause: str, *more: tuple[str, str], status: int | None = None) -> None:
        super().__init__(cause)
        self.items: tuple[tuple[str, str], ...] = ((code, cause), *more)
        if status is not None:
            self.status = status

    @property
    def code(self) -> str:
        return self.items[0][0]

    @property
    def cause(self) -> str:
        return self.items[0][1]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.status}, {list(self.items)})"


class BadRequest(VendorError):
    status = 400


class Unauthorized(VendorError):
    status = 401


class Forbidden(VendorError):
    status = 403


class NotFound(VendorError):
    status = 404


class Conflict(VendorError):
    status = 409


class PayloadTooLarge(VendorError):
    status = 413


class Unprocessable(VendorError):
    status = 422


class TooManyRequests(VendorError):
    status = 429


class InternalError(VendorError):
    status = 500


class ServiceUnavailable(VendorError):
    status = 503


class StorageError(VendorError):
    """An S3-style storage error: `code` is the S3 error code (`SignatureDoesNotMatch`, `BadDigest`...),
    `cause` its human message, `details` extra elements S3 adds (e.g. `X-Amz-Expires` on an expired URL).
    Source: the S3 REST error responses (Content-Type application/xml, `<Error><Code>`...)."""

    def __init__(self, status: int, code: str, message: str, details: dict[str, str] | None = None) -> None:
        super().__init__(code, message, status=status)
        self.details = details or {}


class FixedCode(VendorError):
    """Base of the errors whose vendor code is fixed: `code` is the class's, the raise site gives the cause(s).

    `FixedCode` comes first in a subclass's bases, the status class second: `class X(FixedCode, BadRequest)`.
    """

    code: ClassVar[str]

    def __init__(self, cause: str, *more: str) -> None:
        super().__init__(self.code, cause, *((self.code, other) for other in more))


class CoeBadRequest(FixedCode, BadRequest):
    """400 `1539`: a missing or invalid header or body field on the COE pages and the COE token gateway."""

    code = "1539"


class EsignBadRequest(FixedCode, BadRequest):
    """400 `1650`: the esign partner token's missing headers (getpartnertoken.json, vendor-notes §4.5)."""

    code = "1650"


class InvalidSubmissionId(FixedCode, BadRequest):
    """400 `1541` INVALID_SUBMISSION_ID of Submission Status (getsubmissionstatus.json)."""

    code = "1541"


class InvalidSubmissionRequest(FixedCode, BadRequest):
    """400 `1542`: presign's submission type, confirm's body (get/put_coe-partner-v1-submissions-url.json)."""

    code = "1542"


class DetailsMissingId(FixedCode, BadRequest):
    """400 `1550` of Get Submission Details: neither a partner session id nor a submission id."""

    code = "1550"


class DetailsNoSubmission(FixedCode, BadRequest):
    """400 `1552` SUBMISSION_DOES_NOT_EXIST of Get Submission Details (get_coe-v1-submissions.json)."""

    code = "1552"


class DetailsWrongSession(FixedCode, BadRequest):
    """400 `1553` PARTNER_SESSION_ID_DOES_NOT_BELONG_TO_THE_USER of Get Submission Details."""

    code = "1553"


class InvalidCredentials(FixedCode, Unauthorized):
    """401 `110` UNAUTHORIZED: a missing, invalid, expired or revoked token, or unknown credentials."""

    code = "110"


class DetailsUnauthorized(FixedCode, Unauthorized):
    """401 `1539` UNAUTHORIZED as the Get Submission Details page spells it (vendor-notes §4.5, G5)."""

    code = "1539"


class CoeForbidden(FixedCode, Forbidden):
    """403 `110`: another client's onboarding partner, another session's token (Initiate Flow, the SDK pages)."""

    code = "110"


class DetailsForbidden(FixedCode, Forbidden):
    """403 `903` FORBIDDEN of Get Submission Details (a user token where a partner token is due)."""

    code = "903"


class SubmissionNotFound(FixedCode, NotFound):
    """404 `404` SUBMISSION_DOES_NOT_EXIST of confirm (put_coe-partner-v1-submissions-url.json)."""

    code = "404"


class StatusNotFound(FixedCode, NotFound):
    """404 `1543` SUBMISSION_DOES_NOT_EXIST of Submission Status (getsubmissionstatus.json)."""

    code = "1543"


class StateConflict(FixedCode, Conflict):
    """409 `409` SUBMISSION_STATE_CONFLICT: a transition the state machine refuses."""

    code = "409"


class TooLarge(FixedCode, PayloadTooLarge):
    """413 `413`: a body or an image over its cap (ENTITY_TOO_LARGE, IMAGE_TOO_LARGE)."""

    code = "413"


class InvalidUploadArtifact(FixedCode, Unprocessable):
    """422 `422` INVALID_UPLOAD_ARTIFACT: the selfie is missing, or not an allowed, decodable image."""

    code = "422"


class QuotaExceeded(FixedCode, TooManyRequests):
    """429 `429` SUBMISSION_QUOTA_EXCEEDED: no attempt left for the partner session."""

    code = "429"


class GenericServiceError(FixedCode, InternalError):
    """500 `900` GENERIC_SERVICE_ERROR: anything unexpected (never a stack trace)."""

    code = "900"


class Unavailable(FixedCode, ServiceUnavailable):
    """503 `903` SERVICE_UNAVAILABLE (confirm's and the upload's pages): only ever an injected fault."""

    code = "903"


class SimBadRequest(FixedCode, BadRequest):
    """400 of the `/_sim` control API: the cause is a sentence that says what to send instead."""

    code = "SIM_400"


class SimUnauthorized(FixedCode, Unauthorized):
    """401 of `/_sim`: no or a wrong control token."""

    code = "SIM_401"


class SimForbidden(FixedCode, Forbidden):
    """403 of `/_sim`: a partner's token asking for another partner's data, or for what only the admin may do."""

    code = "SIM_403"


class SimNotFound(FixedCode, NotFound):
    """404 of `/_sim`: an unknown session, submission, callback, scenario or partner."""

    code = "SIM_404"


class SimConflict(FixedCode, Conflict):
    """409 of `/_sim`: a change the state machine refuses (a terminal submission, a race)."""

    code = "SIM_409"


def unauthorized() -> InvalidCredentials:
    """The 401 every vendor endpoint answers for a bad token or bad credentials."""
    return InvalidCredentials("UNAUTHORIZED")


def render_error_body(error: VendorError, dialect: ErrorDialect = DEFAULT_DIALECT) -> dict[str, Any]:
    """The vendor error envelope for `error`, spelled as the endpoint's page spells it."""
    return render_items(error.items, dialect)


def render_items(items: Sequence[tuple[str, str]], dialect: ErrorDialect = DEFAULT_DIALECT) -> dict[str, Any]:
    errors: list[dict[str, Any]] = []
    for code, cause in items:
        item: dict[str, Any] = {"code": int(code) if dialect.integer_codes and code.isdigit() else code}
        if dialect.entity is not None:
            item["entity"] = dialect.entity
        item["cause"] = cause
        errors.append(item)
    body: dict[str, Any] = {"success": False}
    if dialect.data_null:
        body["data"] = None
    body["errors"] = errors
    return body


def render_storage_error(error: VendorError, request_id: str) -> bytes:
    """The S3 XML error body of `error`: `<Error><Code/><Message/>[details]<RequestId/></Error>`.

    A `StorageError` keeps its S3 code; any other `VendorError` (a simulator rule such as the image
    check) uses its vendor cause as the code, so it stays recognisable.
    """
    if isinstance(error, StorageError):
        code, message, details = error.code, error.cause, error.details
    else:
        code, message, details = error.cause, error.cause.replace("_", " ").capitalize(), {}
    parts = [f"<Code>{escape(code)}</Code>", f"<Message>{escape(message)}</Message>"]
    parts += [f"<{name}>{escape(value)}</{name}>" for name, value in details.items()]
    parts.append(f"<RequestId>{escape(request_id)}</RequestId>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>' + "".join(parts) + "</Error>").encode()
