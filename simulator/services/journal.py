"""The request journal: every inbound vendor request and every outbound call, redacted and bounded.

STUB: the interface other modules call. The control-surface work fills in storage, batching,
eviction and queries behind the same `record` call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Direction = Literal["inbound", "outbound"]


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One request as the journal keeps it. Headers and bodies are excerpts, already redacted."""

    direction: Direction
    kind: str  # "vendor" | "storage" | "admin" for inbound; "callback" | "reference" for outbound
    at: float
    method: str
    url: str
    status: int | None
    latency_ms: float
    client_id: str | None = None
    partner_session_id: str | None = None
    session_key: str | None = None
    submission_id: str | None = None
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: str | None = None
    response_body: str | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Journal:
    def __init__(self) -> None:
        self.entries: list[JournalEntry] = []

    def record(self, entry: JournalEntry) -> None:
        """Keep `entry`; never blocks and never raises on the request path."""
        self.entries.append(entry)
