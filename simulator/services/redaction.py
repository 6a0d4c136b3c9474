"""Redaction and excerpts: what the journal keeps of headers, bodies and URLs, with secrets masked.

Pass-keys, tokens, auth headers, API keys and presigned-URL signatures never reach the journal in
clear. A secret becomes ``[redacted sha256:1a2b3c4d]``: the fingerprint lets a reader tell two tokens
apart without being able to use either. Every function is idempotent, so an entry redacted by its
producer (an outbound call) can safely be redacted again when it is stored.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable, Mapping

REDACTED = "[redacted"
SECRET_HEADER_WORDS = ("key", "token", "auth", "secret", "password", "signature", "cookie", "credential")
HEADER_VALUE_MAX = 256
HEADERS_MAX = 40

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*){0,2}")
_JSON_SECRET = re.compile(
    r'("(?:token|accessToken|refreshToken|idToken|passKey|pass_key|pass-key|password|secret|clientSecret|'
    r'apiKey|api_key|authorization)"\s*:\s*")((?:[^"\\]|\\.)*)',
    re.IGNORECASE,
)
_QUERY_SECRET = re.compile(
    r"((?:^|[?&#;])(?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|signature|sig|token|"
    r"access_token|api_key|apikey|pass_key|password)=)([^&#\"'\s]*)",
    re.IGNORECASE,
)


def mask(value: str) -> str:
    """The redacted stand-in of a secret (a short fingerprint); already-masked values pass through."""
    if not value or value.startswith(REDACTED) or value in ("***", "…"):
        return value
    digest = hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:8]
    return f"{REDACTED} sha256:{digest}]"


def _mask_match(match: re.Match[str]) -> str:
    return mask(match.group(0))


def _mask_second(match: re.Match[str]) -> str:
    return match.group(1) + mask(match.group(2))


_SECRET_HINT = re.compile("token|pass|secret|key|auth|sig|credential")


def redact_text(text: str) -> str:
    """`text` (a body excerpt or a URL) with JWTs, JSON secret fields and URL query secrets masked."""
    if "eyJ" in text:
        text = _JWT.sub(_mask_match, text)
    if _SECRET_HINT.search(text.lower()) is None:
        return text  # the common case (a status body): nothing worth a full scan
    if '"' in text:
        text = _JSON_SECRET.sub(_mask_second, text)
    if "=" in text:
        text = _QUERY_SECRET.sub(_mask_second, text)
    return text


@functools.lru_cache(maxsize=1024)
def is_secret_header(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SECRET_HEADER_WORDS)


def redact_header(name: str, value: str) -> str:
    if is_secret_header(name):
        scheme, _, credentials = value.partition(" ")
        if credentials and scheme.lower() in ("bearer", "basic", "token"):
            return f"{scheme} {mask(credentials)}"
        return mask(value)
    if len(value) > HEADER_VALUE_MAX:
        value = value[:HEADER_VALUE_MAX] + "…"
    return redact_text(value.replace("\n", " "))


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """At most `HEADERS_MAX` headers (names lower-cased), each value redacted and bounded."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    redacted: dict[str, str] = {}
    for name, value in items:
        if len(redacted) >= HEADERS_MAX:
            break
        redacted[name.lower()] = redact_header(name, value)
    return redacted


TEXT_TYPES = ("json", "text", "xml", "javascript", "x-www-form-urlencoded")


def is_text(content_type: str | None) -> bool:
    """Whether a body of this content type is worth an excerpt (images and binaries are not)."""
    if not content_type:
        return True
    lowered = content_type.lower()
    return any(word in lowered for word in TEXT_TYPES)


def excerpt(data: bytes | str | None, limit: int, total: int | None = None) -> str | None:
    """The first `limit` bytes of a body as redacted text, marked when cut; None for an empty body."""
    if not data:
        return None
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else data
    size = len(raw) if total is None else total
    text = raw[:limit].decode("utf-8", "replace")
    if size > limit:
        text += f"…[truncated, {size} bytes]"
    return redact_text(text)
