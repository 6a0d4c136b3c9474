"""Turn a captured inbound exchange into a redacted journal entry, and say whose it is.

Runs off the request path, when the journal writes a batch. The owner of a request is found
cheaply: the client id from the `client-id` header or from the claims of the token the simulator
issued (`peek`, a cached lookup); the partner session from `x-partner-session-id` or the claims; the
submission from the path, the `x-submission-id` header, or the `submissionId` of the request or
response body. Uploads and downloads name only a document; the journal's store resolves those.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from simulator.bounded import JOURNAL_CALLERS, JOURNAL_ROWS, BoundedCache
from simulator.ids import MAX_PARTNER_ID_CHARS
from simulator.services.journal.buffer import Exchange, Journal, JournalEntry
from simulator.services.journal.redaction import excerpt, is_text, redact_headers, redact_text
from simulator.settings import Settings
from simulator.store.journal_rows import JournalStore, Row, journal_row, with_timing
from simulator.store.repository import Repository
from simulator.tokens import TokenClaims, TokenService

Peek = Callable[[str], TokenClaims | None]

CAPTURED_HEADERS = frozenset(
    {
        "client-id",
        "pass-key",
        "x-onekyc-token",
        "authorization",
        "x-onboarding-partner",
        "x-partner-user-id",
        "x-partner-user-id-type",
        "x-partner-session-id",
        "x-sdk-session-id",
        "x-submission-id",
        "content-type",
        "content-length",
        "user-agent",
        "x-request-id",
    }
)
RESPONSE_HEADERS = frozenset({"content-type", "location", "retry-after", "www-authenticate", "etag"})
CACHE_SIZE = 4096  # remembered callers and rows (about 1 KB each): more than the sessions polled in turn
_STATUS_PATH = re.compile(r"/submissions/([^/]+)/status$")
_STORAGE_PATH = re.compile(r"^/storage/[^/]+/([^/]+)$")
_LAUNCH_TOKEN = re.compile(r"[?&#]token=([A-Za-z0-9_.-]+)")


_CAPTURED = frozenset(name.encode() for name in CAPTURED_HEADERS)
_RESPONSE = frozenset(name.encode() for name in RESPONSE_HEADERS)


def _headers(raw: list[tuple[bytes, bytes]], wanted: frozenset[bytes]) -> dict[str, str]:
    """The wanted headers (ASGI header names are lower-case bytes), decoded."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in raw if name in wanted}


def _json(text: bytes) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # a malformed or absurdly nested body names nothing
        return None


def _submission_of(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    data = body.get("data")
    for holder in (body, data):
        if isinstance(holder, dict) and isinstance(holder.get("submissionId"), str):
            return str(holder["submissionId"])
    return None


def _issued_token(body: Any) -> str | None:
    """The user token an Initiate Flow response hands out (`data.token`, or inside `data.launchUrl`)."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("token"), str):
        return str(data["token"])
    launch = data.get("launchUrl")
    match = _LAUNCH_TOKEN.search(launch) if isinstance(launch, str) else None
    return match.group(1) if match else None


def _token(headers: dict[str, str]) -> str | None:
    token = headers.get("x-onekyc-token")
    if token:
        return token
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    return credentials if scheme.lower() == "bearer" and credentials else None


@dataclass(frozen=True, slots=True, eq=False)
class Caller:
    """What a request's captured headers say: who calls, for which session, and the redacted headers.

    Compared by identity: the row cache keys on the remembered caller, not on its (large) headers.
    """

    redacted: dict[str, str]
    content_type: str | None
    submission_id: str | None
    client_id: str | None
    partner_session_id: str | None
    session_key: str | None


def _digest(data: bytes) -> bytes:
    """A 128-bit fingerprint: cache keys stay small however large the headers and bodies are."""
    return hashlib.blake2b(data, digest_size=16).digest()


class RowBuilder:
    """Builds journal rows from exchanges, memoised: an SDK polls with the same headers and mostly gets
    the same answer, so a repeated request costs a fingerprint and a lookup instead of a redaction pass.

    `build_entry` is a pure function of the exchange apart from its time and latency, so a remembered
    row with those two replaced is exactly the row it would build again. Callers are remembered for
    every request; rows only for GETs (polls repeat, writes do not). Keys are fingerprints of the raw
    headers and bodies, so the memory a cache entry takes does not grow with them.
    """

    def __init__(self, peek: Peek, limit: int, cache_size: int = CACHE_SIZE) -> None:
        self._peek = peek
        self._limit = limit
        self._cache_size = cache_size
        # Bounded by count (`cache_size`) and bytes: a caller keeps its redacted headers, a row its excerpts.
        self._callers: BoundedCache[bytes, Caller] = BoundedCache(cache_size, JOURNAL_CALLERS[1])
        self._rows: BoundedCache[tuple[Any, ...], Row] = BoundedCache(cache_size, JOURNAL_ROWS[1])

    def caller(self, raw: list[tuple[bytes, bytes]]) -> Caller:
        """The caller of a request, from its raw ASGI headers."""
        wanted = [(name, value) for name, value in raw if name in _CAPTURED]
        # Header names and values hold no newline, so names and values joined by one are unambiguous.
        key = _digest(b"\n".join(itertools.chain.from_iterable(wanted)))
        found = self._callers.get(key)
        if found is not None:
            return found
        headers: dict[str, str] = {}
        ambiguous: set[str] = set()
        for raw_name, raw_value in wanted:
            name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
            if name in headers and headers[name] != value:
                ambiguous.add(name)
                value = f"{headers[name]}, {value}"
            headers[name] = value
        # A header given two different ways names no one: the gateway refused the request (400).
        identity = {name: value for name, value in headers.items() if name not in ambiguous}
        client_id = identity.get("client-id")
        partner_session_id = identity.get("x-partner-session-id")
        session_key = None
        token = _token(identity)
        claims = self._peek(token) if token else None
        if claims is not None:
            client_id = claims.client_id
            session_key = claims.session_key
            partner_session_id = claims.partner_session_id or partner_session_id
        found = Caller(
            redact_headers(headers),
            identity.get("content-type"),
            identity.get("x-submission-id"),
            client_id,
            partner_session_id,
            session_key,
        )
        self._callers[key] = found
        if len(self._callers) > self._cache_size:
            self._callers.popitem(last=False)
        return found

    def __call__(self, exchange: Exchange) -> Row:
        try:
            return self._build(exchange)
        except Exception as exc:  # a request is never dropped from the journal, however malformed
            return journal_row(bare_entry(exchange, f"{type(exc).__name__} while journaling: {exc}"))

    def _build(self, exchange: Exchange) -> Row:
        e = exchange
        caller = self.caller(e.headers)
        if e.method != "GET" or e.request_chunks:
            return journal_row(build_entry(e, caller, self._peek, self._limit))
        answer = b"\n".join(itertools.chain.from_iterable(e.response_headers))
        fingerprint = _digest(answer + b"\n\n" + b"".join(e.response_chunks))
        key = (e.kind, e.path, e.query, e.status, e.error, e.response_size, caller, fingerprint)
        template = self._rows.get(key)
        if template is None:
            template = journal_row(build_entry(e, caller, self._peek, self._limit))
            self._rows[key] = template
            if len(self._rows) > self._cache_size:
                self._rows.popitem(last=False)
        return with_timing(template, e.at, e.latency_ms)


def build_entry(exchange: Exchange, caller: Caller, peek: Peek, limit: int) -> JournalEntry:
    """The journal entry of one captured inbound request: attributed, excerpted and redacted."""
    response_headers = _headers(exchange.response_headers, _RESPONSE)
    request_raw = b"".join(exchange.request_chunks)
    response_raw = b"".join(exchange.response_chunks)
    client_id, partner_session_id, session_key = caller.client_id, caller.partner_session_id, caller.session_key
    submission_id = caller.submission_id
    match = _STATUS_PATH.search(exchange.path)
    if match:
        submission_id = match.group(1)
    extra: dict[str, Any] = {}
    storage = _STORAGE_PATH.match(exchange.path)
    if storage:
        extra["document"] = storage.group(1)
    if submission_id is None and request_raw and exchange.method != "GET":
        submission_id = _submission_of(_json(request_raw))
    if (submission_id is None or session_key is None) and response_raw and exchange.status == 200:
        body = _json(response_raw)
        submission_id = submission_id or _submission_of(body)
        issued = _issued_token(body)
        issued_claims = peek(issued) if issued else None
        if issued_claims is not None:
            session_key = session_key or issued_claims.session_key
            partner_session_id = partner_session_id or issued_claims.partner_session_id
    query = exchange.query.decode("latin-1")
    url = exchange.path + (f"?{query}" if query else "")
    capture_response = exchange.capture_bodies and is_text(response_headers.get("content-type"))
    capture_request = exchange.capture_bodies and is_text(caller.content_type)
    return JournalEntry(
        direction="inbound",
        kind=exchange.kind,
        at=exchange.at,
        method=exchange.method,
        url=redact_text(url),
        status=exchange.status,
        latency_ms=exchange.latency_ms,
        client_id=_indexable(client_id),
        partner_session_id=_indexable(partner_session_id),
        session_key=session_key,
        submission_id=_indexable(submission_id),
        request_headers=caller.redacted,
        request_body=excerpt(request_raw, limit, exchange.request_size) if capture_request else None,
        response_body=excerpt(response_raw, limit, exchange.response_size) if capture_response else None,
        error=exchange.error,
        extra=extra,
        request_size=exchange.request_size,
        response_size=exchange.response_size,
        response_headers=response_headers,
    )


def bare_entry(exchange: Exchange, problem: str) -> JournalEntry:
    """The entry of a request whose full entry could not be built: method, URL, status and sizes, with
    the problem added to its error; no headers, bodies or attribution (none could be trusted)."""
    query = exchange.query.decode("latin-1")
    url = exchange.path + (f"?{query}" if query else "")
    error = f"{exchange.error}; {problem}" if exchange.error else problem
    return JournalEntry(
        direction="inbound",
        kind=exchange.kind,
        at=exchange.at,
        method=exchange.method,
        url=redact_text(url),
        status=exchange.status,
        latency_ms=exchange.latency_ms,
        error=redact_text(error[:500]),
        request_size=exchange.request_size,
        response_size=exchange.response_size,
    )


def finish_entry(entry: JournalEntry, limit: int) -> JournalEntry:
    """An entry recorded by other code (outbound calls), redacted again and bounded before it is stored."""
    return replace(
        entry,
        url=redact_text(entry.url),
        request_headers=redact_headers(entry.request_headers),
        request_body=excerpt(entry.request_body, limit),
        response_body=excerpt(entry.response_body, limit),
        response_headers=redact_headers(entry.response_headers),
        error=redact_text(entry.error) if entry.error else None,
    )


def make_journal(settings: Settings, repo: Repository, tokens: TokenService) -> Journal:
    """The simulator's journal: entries built and redacted here, stored by `JournalStore`."""
    limit = settings.journal_excerpt_bytes
    return Journal(
        settings.journal_max_entries,
        sink=JournalStore(repo),
        build=RowBuilder(tokens.peek, limit),
        finish=lambda entry: journal_row(finish_entry(entry, limit)),
        excerpt_bytes=limit,
    )


def _indexable(value: str | None) -> str | None:
    """`value` cut to `MAX_PARTNER_ID_CHARS`: the journal's filter columns are indexed, and one over-long
    header must not cost a whole batch of entries (the refused request is journaled with its id cut)."""
    return value[:MAX_PARTNER_ID_CHARS] if value is not None else None
