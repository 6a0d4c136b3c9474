"""The storage's use cases: a document PUT to its presigned URL, and served back to a presigned GET.

Everything the URL and the headers can refuse is refused before the body is read (`upload_document`
takes the body as a callable it calls last), so a client that sent `Expect: 100-continue` is answered
without `100 Continue` and uploads nothing. Errors are `StorageError`s with S3's codes (the storage
boundary renders them as S3's XML), apart from the simulator's own rules on what it stores: the image
check (`simulator.services.vendor_flow.images`: 413 IMAGE_TOO_LARGE over the pixel cap, 422 INVALID_UPLOAD_ARTIFACT
for anything not an allowed, decodable image) and no upload after confirm (409 SUBMISSION_STATE_CONFLICT).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.errors import (
    InvalidUploadArtifact,
    StateConflict,
    StorageError,
    TooLarge,
)
from simulator.services.vendor_flow.images import Verdict, check_image, upload_limits
from simulator.services.vendor_flow.presigned_urls import ObjectKey
from simulator.store.errors import StaleStateError

if TYPE_CHECKING:
    from simulator.services.context import Services

BodyReader = Callable[[], Awaitable[bytes]]


@dataclass(frozen=True, slots=True)
class StorageRequest:
    """What a storage request presents: method, object, decoded query pairs in order, Host and Content-MD5."""

    method: str
    key: ObjectKey
    query: Sequence[tuple[str, str]]
    host: str | None
    content_md5: str | None = None


def no_such_key(key: ObjectKey) -> StorageError:
    return StorageError(404, "NoSuchKey", "The specified key does not exist.", {"Key": f"{key.flow}/{key.reference}"})


def entity_too_large(limit: int) -> StorageError:
    """S3 answers an object over the size limit with 400 EntityTooLarge."""
    return StorageError(
        400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size", {"MaxSizeAllowed": str(limit)}
    )


def _expected_md5(header: str | None) -> bytes | None:
    """The digest a Content-MD5 header announces; 400 InvalidDigest unless it is base64 of 16 bytes."""
    if header is None:
        return None
    try:
        digest = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        raise StorageError(400, "InvalidDigest", "The Content-MD5 you specified is not valid.")
    return digest


def authorize(svc: Services, request: StorageRequest) -> None:
    """Raise the S3 error of a request its presigned URL does not allow (checked before any body byte)."""
    svc.signer.check(request.method, request.key.path, request.query, request.host, svc.clock.now())


async def upload_document(svc: Services, request: StorageRequest, read_body: BodyReader) -> bytes:
    """Store the body PUT to a presigned document URL; its MD5 (the ETag) on success.

    Order: signature and expiry, the Content-MD5 syntax, then the body (its size cap raises in
    `read_body`), its digest (400 BadDigest), the document (404 NoSuchKey), the image check (413/422) and
    the submission's state (409). A refused upload stores nothing.
    """
    authorize(svc, request)
    expected = _expected_md5(request.content_md5)
    data = await read_body()
    digest = hashlib.md5(data, usedforsecurity=False).digest()
    if expected is not None and digest != expected:
        raise StorageError(400, "BadDigest", "The Content-MD5 you specified did not match what was received.")
    found = await svc.repo.get_document(request.key.reference)
    if found is None:
        raise no_such_key(request.key)
    document, _ = found
    limits = upload_limits(svc.settings)
    image = check_image(data, limits)
    if image.verdict is Verdict.TOO_MANY_BYTES:
        raise entity_too_large(limits.max_bytes)
    if image.verdict is Verdict.TOO_MANY_PIXELS:
        raise TooLarge("IMAGE_TOO_LARGE")
    if image.content_type is None:
        raise InvalidUploadArtifact("INVALID_UPLOAD_ARTIFACT")
    try:
        await svc.repo.store_document(
            request.key.reference, document.submission_id, data, image.content_type, svc.clock.now()
        )
    except StaleStateError:
        raise StateConflict("SUBMISSION_STATE_CONFLICT") from None
    return digest


async def download_document(svc: Services, request: StorageRequest) -> tuple[bytes, str]:
    """The bytes and content type of an uploaded document, for a presigned GET."""
    authorize(svc, request)
    found = await svc.repo.get_document(request.key.reference)
    if found is None or found[1] is None:
        raise no_such_key(request.key)
    document, data = found
    return data or b"", document.content_type or "application/octet-stream"
