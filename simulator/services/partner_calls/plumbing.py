"""Plumbing every outbound call shares: bounded reads, error wording, redaction and the journal entry.

Callbacks and reference fetches go through the one shared `svc.http` client; what they read back is
capped (`read_capped` streams and stops at the cap, so an oversized body is never held whole), and what
they journal is redacted (`redact_headers`: no credential leaves in clear).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from simulator.services.journal.buffer import JournalEntry
from simulator.services.journal.redaction import redact_text

if TYPE_CHECKING:
    from simulator.services.context import Services

EXCERPT_BYTES = 1024
REDACTED = "***"
_SECRET_HINTS = ("auth", "token", "secret", "key", "signature", "password", "cookie")


@dataclass(frozen=True, slots=True)
class CappedBody:
    """What was read of a response body: at most the cap (`truncated` when the body was longer)."""

    data: bytes
    bytes_read: int
    truncated: bool


async def read_capped(response: httpx.Response, limit: int) -> CappedBody:
    """Stream the body and stop at `limit` bytes: never more than the cap plus one network chunk is read."""
    declared = response.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        return CappedBody(b"", 0, True)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > limit:
            return CappedBody(b"".join(chunks), size, True)
        chunks.append(chunk)
    return CappedBody(b"".join(chunks), size, False)


def excerpt(data: bytes | None, limit: int = EXCERPT_BYTES) -> str | None:
    """The start of a body as text, for people reading an attempt, with secrets masked (`redact_text`)."""
    if not data:
        return None
    return redact_text(data[:limit].decode("utf-8", "replace"))


def describe_error(exc: Exception, timeout: float) -> str:
    """One line saying why an outbound call failed without an answer."""
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed: {exc}" if str(exc) else "connection failed"
    detail = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {detail}"


def redact_headers(headers: Mapping[str, str], secret_names: Collection[str] = ()) -> dict[str, str]:
    """Headers with credentials masked: `Authorization` keeps its scheme, secret-looking names lose their value."""
    secrets = {name.lower() for name in secret_names}
    redacted: dict[str, str] = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in ("authorization", "proxy-authorization"):
            scheme, _, rest = value.partition(" ")
            redacted[name] = f"{scheme} {REDACTED}" if rest else REDACTED
        elif lower in secrets or any(hint in lower for hint in _SECRET_HINTS):
            redacted[name] = REDACTED
        else:
            redacted[name] = value
    return redacted


class Stopwatch:
    """Real elapsed time of one call (durations are measured, not simulated)."""

    def __init__(self) -> None:
        self._started = time.perf_counter()

    def ms(self) -> float:
        return (time.perf_counter() - self._started) * 1000.0


def journal_outbound(
    svc: Services,
    kind: str,
    *,
    method: str,
    url: str,
    status: int | None,
    latency_ms: float,
    client_id: str,
    partner_session_id: str,
    session_key: str,
    submission_id: str,
    request_headers: dict[str, str],
    request_body: str | None = None,
    response_body: str | None = None,
    error: str | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Report one outbound call (headers already redacted) to the request journal."""
    svc.journal.record(
        JournalEntry(
            direction="outbound",
            kind=kind,
            at=svc.clock.now(),
            method=method,
            url=url,
            status=status,
            latency_ms=latency_ms,
            client_id=client_id,
            partner_session_id=partner_session_id,
            session_key=session_key,
            submission_id=submission_id,
            request_headers=request_headers,
            request_body=request_body,
            response_body=response_body,
            error=error,
            extra=extra or {},
        )
    )
