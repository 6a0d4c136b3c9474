"""Redaction and excerpts: what the journal keeps of headers, bodies and URLs, with secrets masked.

Pass-keys, tokens, auth headers, API keys and presigned-URL signatures never reach the journal in
clear. Redaction goes by field name (JSON, XML, `name: value` and query forms of any field whose name
ends in token, secret, password, pass-key, api-key, access/secret/private key, credential(s) or
signature) and by the look of the value wherever it appears: JWTs (`eyJ…`), AWS access key ids
(`AKIA…`/`ASIA…`), `Bearer …`/`Basic …` credentials and PEM private keys. A secret becomes
``[redacted sha256:1a2b3c4d]``: the fingerprint lets a reader tell two tokens
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
_SECRET_NAME = (
    r"[A-Za-z0-9_.-]*(?:token|secret|password|passwd|pass[_-]?key|api[_-]?key|access[_-]?key|secret[_-]?key|"
    r"private[_-]?key|credentials?|signature|authorization)"
)
_JSON_SECRET = re.compile(r'("' + _SECRET_NAME + r'"\s*:\s*")((?:[^"\\]|\\.)*)', re.IGNORECASE)
_XML_SECRET = re.compile(r"(<(" + _SECRET_NAME + r")>)([^<]+)(?=</\2>)", re.IGNORECASE)
_PLAIN_SECRET = re.compile(r"(\b" + _SECRET_NAME + r"\s*[:=]\s*)([^\s\"',;&<>\[]+)", re.IGNORECASE)
_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}\b")
_AUTH_VALUE = re.compile(r"\b((?:Bearer|Basic)\s+)([A-Za-z0-9._~+/=-]{8,})", re.IGNORECASE)
_PEM_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.DOTALL)
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


_SECRET_HINT = re.compile("token|pass|secret|key|auth|sig|credential|akia|asia|aroa|aida|bearer|basic")


def _mask_xml(match: re.Match[str]) -> str:
    return match.group(1) + mask(match.group(3))


def redact_text(text: str) -> str:
    """`text` (a body excerpt or a URL) with secrets masked, by field name and by look (module docstring)."""
    if "eyJ" in text:
        text = _JWT.sub(_mask_match, text)
    if _SECRET_HINT.search(text.lower()) is None:
        return text  # the common case (a status body): nothing worth a full scan
    if "PRIVATE KEY-----" in text:
        text = _PEM_KEY.sub(_mask_match, text)
    text = _AWS_KEY_ID.sub(_mask_match, text)
    text = _AUTH_VALUE.sub(_mask_second, text)
    if '"' in text:
        text = _JSON_SECRET.sub(_mask_second, text)
    if "<" in text:
        text = _XML_SECRET.sub(_mask_xml, text)
    if "=" in text:
        text = _QUERY_SECRET.sub(_mask_second, text)
    if ":" in text or "=" in text:
        text = _PLAIN_SECRET.sub(_mask_second, text)
    return text


def is_secret_header(name: str) -> bool:
    """Whether a header of this name carries a secret (its name contains one of SECRET_HEADER_WORDS)."""
    # Remembered for names of ordinary length only: 1024 entries stay small however long a caller's names are.
    return _is_secret_name(name) if len(name) <= 64 else _names_a_secret(name)


def _names_a_secret(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SECRET_HEADER_WORDS)


_is_secret_name = functools.lru_cache(maxsize=1024)(_names_a_secret)


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
