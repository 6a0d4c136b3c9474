"""What a replay observed: every call and its answer, per attempt the polls and the verdict, callbacks.

These records are what expectations are checked against and what the report prints; each call keeps
the request that produced it, so a failed step can show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

SHOWN_HEADERS = ("x-partner-session-id", "x-submission-id")


@dataclass(frozen=True, slots=True)
class Call:
    """One vendor call the runner made and how it was answered (`http` None: the connection dropped)."""

    name: str
    attempt: int | None
    request: str
    http: int | None
    data: dict[str, Any] = field(default_factory=dict)
    code: str | None = None
    cause: str | None = None
    error: str | None = None
    message: str | None = None
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return self.http is not None and 200 <= self.http < 300

    @property
    def dropped(self) -> bool:
        return self.http is None

    def get(self, key: str) -> Any:
        """The observed value of an expectation field."""
        return {
            "http": self.http,
            "status": self.data.get("status"),
            "next_action": self.data.get("nextAction"),
            "result": self.data.get("result"),
            "reason_code": self.data.get("reasonCode"),
            "code": self.code,
            "cause": self.cause,
            "message": self.message,
            "retry_after": self.retry_after,
            "error_message": self.data.get("errorMessage"),
            "dropped": self.dropped,
            "call": self.name,
            "attempt": self.attempt,
        }[key]

    def lookup(self, path: str) -> Any:
        """The value at a dotted path of the response's data (None when absent)."""
        return lookup(self.data, path)

    def summary(self) -> str:
        if self.dropped:
            return f"connection dropped ({self.error})"
        if not self.ok:
            if self.code is None and self.message is not None:
                return f"HTTP {self.http} {self.message!r}"
            return f"HTTP {self.http} {self.code} {self.cause}"
        shown = [str(self.data[k]) for k in ("status", "nextAction", "result", "reasonCode") if self.data.get(k)]
        return " ".join([f"HTTP {self.http}", *shown])

    @classmethod
    def of(cls, name: str, attempt: int | None, response: httpx.Response) -> Call:
        request = f"{response.request.method} {_target(response.request.url)}"
        headers = [f"{h}: {response.request.headers[h]}" for h in SHOWN_HEADERS if h in response.request.headers]
        if headers:
            request += f" ({', '.join(headers)})"
        try:
            body = response.json()
        except ValueError:
            body = None
        data: dict[str, Any] = {}
        if isinstance(body, dict) and isinstance(body.get("data"), dict):
            data = body["data"]
        code = cause = message = None
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            code = None if errors[0].get("code") is None else str(errors[0]["code"])
            cause = errors[0].get("cause")
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            message = body["message"]
        retry_after = response.headers.get("retry-after")
        return cls(name, attempt, request, response.status_code, data, code, cause, None, message, retry_after)

    @classmethod
    def dropped_call(cls, name: str, attempt: int | None, request: str, error: BaseException) -> Call:
        return cls(name, attempt, request, None, error=f"{type(error).__name__}: {error}".rstrip(": "))


def lookup(data: Any, path: str) -> Any:
    """`data` at a dotted path (`a.b.0.c`: a number indexes a list); None when any part is absent."""
    node = data
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _target(url: httpx.URL) -> str:
    path = url.raw_path.decode("ascii", "replace")
    return path if len(path) <= 140 else path[:137] + "..."


@dataclass(frozen=True, slots=True)
class Delivery:
    """One callback delivery the partner endpoint received, and the status it answered with."""

    attempt: int | None
    body: dict[str, Any]
    answered: int
    raw: bytes = b""

    def get(self, key: str) -> Any:
        return {
            "attempt": self.attempt,
            "status": self.body.get("status"),
            "result": self.body.get("result"),
            "reason_code": self.body.get("reasonCode"),
            "answered": self.answered,
        }[key]

    def summary(self) -> str:
        verdict = "/".join(str(self.body.get(k)) for k in ("status", "result", "reasonCode") if k in self.body)
        return f"attempt {self.attempt}: {verdict} (answered {self.answered})"


@dataclass(frozen=True, slots=True)
class CallbackOutcome:
    """One callback as the simulator recorded it: its cause, final state and each attempt's answer."""

    attempt: int | None
    cause: str
    state: str
    answers: list[int | None]

    def get(self, key: str) -> Any:
        return {"attempt": self.attempt, "cause": self.cause, "state": self.state, "answers": self.answers}[key]

    def summary(self) -> str:
        return f"attempt {self.attempt}: {self.cause}, {self.state}, answers {self.answers}"


@dataclass
class AttemptRun:
    number: int
    submission_id: str | None = None
    confirmed: bool = False
    polls: list[Call] = field(default_factory=list)
    final: Call | None = None


@dataclass
class Run:
    """Everything one replay of one scenario observed."""

    partner_session_id: str
    calls: list[Call] = field(default_factory=list)
    attempts: list[AttemptRun] = field(default_factory=list)
    callbacks: list[Delivery] = field(default_factory=list)
    callback_outcomes: list[CallbackOutcome] = field(default_factory=list)
    details: Call | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Call]:
        return [call for call in self.calls if not call.ok]

    def attempt_of(self, submission_id: object) -> int | None:
        return next((a.number for a in self.attempts if a.submission_id == submission_id), None)
