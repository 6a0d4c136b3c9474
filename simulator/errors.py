"""The one exception tree of the vendor API, and the one renderer of the vendor error body.

    VendorError                      status, code, cause (one vendor error item)
    ├── BadRequest            400    missing headers, invalid flow/source/type, bad body
    ├── Unauthorized          401    missing, malformed, expired or revoked token; bad credentials
    ├── Forbidden             403    onboarding partner / session / submission of someone else
    ├── NotFound              404    unknown submission or path
    ├── Conflict              409    illegal state transition (second confirm)
    ├── PayloadTooLarge       413    upload over the size cap
    ├── Unprocessable         422    upload artifact missing or not an image
    ├── TooManyRequests       429    submission quota exceeded
    ├── InternalError         500    anything unexpected (never a stack trace)
    ├── ServiceUnavailable    503    injected gateway faults
    └── StorageError          4xx    the object storage behind the presigned URLs (S3 codes, XML body)

Every vendor page spells its error body slightly differently: codes are strings on most pages and
integers on some, some carry an ``entity`` and some ``"data": null``. Each endpoint declares its
`ErrorDialect`; `render_error_body` is the only place that turns errors into a body. The object storage
is not an IAB endpoint: it answers as S3 does (the vendor's presigned URLs are S3-style, on an
S3-compatible store), an XML `<Error>` rendered by `render_storage_error`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape


@dataclass(frozen=True, slots=True)
class ErrorDialect:
    """How one vendor endpoint spells its error envelope."""

    integer_codes: bool = False
    entity: str | None = None
    data_null: bool = False


DEFAULT_DIALECT = ErrorDialect()


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


def unauthorized() -> Unauthorized:
    return Unauthorized("110", "UNAUTHORIZED")


def missing(cause: str, code: str = "1539") -> BadRequest:
    return BadRequest(code, cause)


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
