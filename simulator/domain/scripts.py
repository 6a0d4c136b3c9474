"""Scenario scripts: what the simulator does for one partner session, attempt by attempt.

A `Behaviour` is the script proper: per attempt the outcome, the processing time (clock seconds or
status polls) and what happens to the partner callback; faults on vendor endpoints; and the session's
limits (attempts, user-token lifetime). A `Script` is a behaviour with a name and the magic values
that select it. Both are validated data (pydantic, extra fields forbidden); their field descriptions
are the scenario reference published as JSON Schema. Pure: nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from simulator.clock import MAX_WAIT_SECONDS
from simulator.domain.faults import Endpoint, documented_error, documented_statuses, gateway_body
from simulator.domain.outcomes import Outcome

DEFAULT_SCENARIO = "liveness-pass"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
MAGIC_USER_ID_PATTERN = r"^[A-Za-z0-9_-]{3,64}$"
HEADER_NAME_PATTERN = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$"
HEADER_VALUE_PATTERN = r"^[\x20-\x7e]{0,512}$"


def _code_text(value: object) -> object:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Code = Annotated[str, BeforeValidator(_code_text)]
"""A vendor error code; written as a number or a string (some vendor pages use integers)."""

HeaderName = Annotated[str, Field(pattern=HEADER_NAME_PATTERN)]
HeaderValue = Annotated[str, BeforeValidator(_code_text), Field(pattern=HEADER_VALUE_PATTERN)]
"""A response header value; a number is written as its text (Retry-After: 30)."""
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "content-type", "connection"})


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CallbackBehaviour(Model):
    """What happens to the partner callback sent when this attempt's submission ends."""

    delay_seconds: float = Field(
        0,
        ge=0,
        le=MAX_WAIT_SECONDS,
        description="Send the first delivery this many seconds (simulator clock) after the verdict. A delay "
        "longer than the next attempt's makes callbacks arrive out of order across attempts.",
    )
    duplicates: int = Field(0, ge=0, le=10, description="Deliver this many extra copies of the same callback.")
    drop: bool = Field(False, description="Never send this callback (the partner must poll Get Submission Details).")


class AttemptScript(Model):
    """What happens to one submission (one attempt) of the partner session."""

    outcome: Outcome = Field(
        Outcome.PASS,
        description="The verdict: PASS (COMPLETED/VALID); NOT_LIVE, INVALID_DOCUMENT, DOCUMENT_NOT_FOUND, "
        "FACE_MATCH_FAILED, REFERENCE_IMAGE_VALIDATION_FAILED (COMPLETED/INVALID with that reason code); "
        "ERROR (status ERROR, reason code VERIFICATION_FAILED).",
    )
    retriable: bool | None = Field(
        None,
        description="Whether the SDK is told RETRY while attempts remain. Default: true for NOT_LIVE, "
        "INVALID_DOCUMENT, DOCUMENT_NOT_FOUND and FACE_MATCH_FAILED, false otherwise.",
    )
    error_message: str | None = Field(
        None, max_length=500, description="The status endpoint's errorMessage for outcome ERROR."
    )
    after_seconds: float | None = Field(
        None,
        ge=0,
        le=MAX_WAIT_SECONDS,
        description="Processing ends this many seconds (simulator clock) after confirm, whatever "
        "--processing-delay-seconds says.",
    )
    after_polls: int | None = Field(
        None,
        ge=1,
        description="Processing ends on the Nth status poll after confirm (that poll already shows the verdict). "
        "Neither after_seconds nor after_polls: the simulator's --processing-delay-seconds.",
    )
    callback: CallbackBehaviour = Field(
        default_factory=CallbackBehaviour, description="Delay, duplicate or drop this attempt's callback."
    )

    @model_validator(mode="after")
    def _consistent(self) -> AttemptScript:
        if self.after_seconds is not None and self.after_polls is not None:
            raise ValueError("give after_seconds or after_polls, not both")
        if self.error_message is not None and self.outcome is not Outcome.ERROR:
            raise ValueError("error_message applies only to outcome ERROR")
        return self


class FaultScript(Model):
    """One fault on one vendor endpoint: an error status, added latency or a dropped connection."""

    endpoint: Endpoint = Field(
        description="The call it hits: initiate (Initiate Flow), presign (GET …/submissions/urls), upload "
        "(PUT to the presigned URL), confirm (PUT …/submissions/urls), status (GET …/{id}/status), details "
        "(Get Submission Details)."
    )
    on_calls: list[Annotated[int, Field(ge=1)]] | None = Field(
        None,
        min_length=1,
        description="Fire on these calls of the endpoint, counted per partner session from 1 (every call counts, "
        "faulted ones too). Neither on_calls nor probability: every call.",
    )
    probability: float | None = Field(None, ge=0, le=1, description="Fire on each call with this probability.")
    seed: int | None = Field(
        None,
        description="Seed of the probability draws: the same calls fire in every session and every run. Without "
        "it, draws come from the simulator (reproducible when it runs with --seed).",
    )
    status: int | None = Field(
        None,
        ge=400,
        le=599,
        description="Answer with this HTTP status (any 4xx or 5xx). A status the vendor documents for this "
        "endpoint answers with the vendor's error body for it; any other (502, 503, 504, 429, ...) with the "
        'gateway-style body {"message": "Service Unavailable"} an API gateway or load balancer sends.',
    )
    code: Code | None = Field(
        None, description="Override the documented error code (keep to vendor values; vendor-documented statuses only)."
    )
    cause: str | None = Field(
        None,
        description="Override the documented error cause (keep to vendor values; vendor-documented statuses only).",
    )
    headers: dict[HeaderName, HeaderValue] = Field(
        default_factory=dict,
        max_length=20,
        description='Extra response headers of the error answer (needs status), e.g. {Retry-After: "30"}.',
    )
    latency_seconds: float = Field(
        0, ge=0, le=60, description="Wait this long (real time) before answering or passing the call on."
    )
    drop_connection: bool = Field(
        False, description="Close the connection without a complete response: the client sees a transport error."
    )

    @model_validator(mode="after")
    def _consistent(self) -> FaultScript:
        if self.on_calls is not None and self.probability is not None:
            raise ValueError("give on_calls or probability, not both")
        if self.seed is not None and self.probability is None:
            raise ValueError("seed applies only with probability")
        if self.status is not None and self.drop_connection:
            raise ValueError("give status or drop_connection, not both")
        if self.status is None and not self.drop_connection and self.latency_seconds == 0:
            raise ValueError("a fault needs an effect: status, drop_connection or latency_seconds")
        if (self.code is not None or self.cause is not None) and self.status is None:
            raise ValueError("code and cause need a status")
        if self.headers and self.status is None:
            raise ValueError("headers need a status")
        framing = sorted(name for name in self.headers if name.lower() in FRAMING_HEADERS)
        if framing:
            raise ValueError(f"headers may not set {', '.join(framing)} (the simulator frames the response)")
        if (
            (self.code is not None or self.cause is not None)
            and self.status is not None
            and documented_error(self.endpoint, self.status) is None
        ):
            documented = ", ".join(str(s) for s in documented_statuses(self.endpoint))
            raise ValueError(
                f"code and cause apply only to a status the vendor documents for endpoint {self.endpoint.value} "
                f"({documented}); status {self.status} answers with the gateway body"
            )
        return self

    def error(self) -> FaultAnswer | None:
        """The error answer of this fault, or None for latency-only and dropped connections."""
        if self.status is None:
            return None
        documented = documented_error(self.endpoint, self.status)
        vendor = None if documented is None else (self.code or documented[0], self.cause or documented[1])
        return FaultAnswer(self.status, vendor, dict(self.headers))


@dataclass(frozen=True, slots=True)
class FaultAnswer:
    """How a faulted call is answered: the status, the vendor's (code, cause) or None for the gateway body,
    and the extra response headers."""

    status: int
    vendor: tuple[str, str] | None
    headers: dict[str, str]

    def describe(self) -> str:
        what = (
            f"{self.vendor[0]} {self.vendor[1]}" if self.vendor else f"gateway {gateway_body(self.status)['message']!r}"
        )
        extra = "".join(f", {name}: {value}" for name, value in self.headers.items())
        return f"HTTP {self.status} {what}{extra}"


class Behaviour(Model):
    """The script of a partner session: attempts, faults and limits."""

    max_attempts: int | None = Field(
        None, ge=1, le=20, description="Submissions allowed in the session. Default: the partner's, else 3."
    )
    user_token_lifetime_seconds: int | None = Field(
        None,
        ge=1,
        le=MAX_WAIT_SECONDS,
        description="Lifetime of the user token Initiate Flow returns (default 5184000): a short one expires "
        "mid-flow, on the simulator clock.",
    )
    attempts: list[AttemptScript] = Field(
        default_factory=lambda: [AttemptScript()],
        min_length=1,
        max_length=20,
        description="One entry per attempt, in order; the last entry repeats for any later attempt.",
    )
    faults: list[FaultScript] = Field(
        default_factory=list, description="Faults on vendor endpoints; the first one that fires on a call wins."
    )

    def plan_for(self, attempt: int) -> AttemptScript:
        """The script of the 1-based `attempt`; the last entry repeats."""
        return self.attempts[min(max(attempt, 1), len(self.attempts)) - 1]

    def faults_on(self, endpoint: Endpoint) -> list[FaultScript]:
        return [fault for fault in self.faults if fault.endpoint is endpoint]


class Script(Behaviour):
    """A scenario as the simulator runs it: its behaviour, its name and the magic values that select it."""

    name: str = Field(pattern=NAME_PATTERN, description="Unique name; what bindings and partner defaults refer to.")
    description: str = Field("", description="What the scenario shows, for people.")
    magic_user_id: str | None = Field(
        None,
        pattern=MAGIC_USER_ID_PATTERN,
        description="An x-partner-user-id starting with this value (any case) selects the scenario.",
    )
    magic_image: str | None = Field(None, description="File name of the sample selfie that selects the scenario.")
    magic_image_sha256: str | None = Field(None, description="SHA-256 of the magic selfie's bytes.")

    def summary(self) -> list[str]:
        """One line per scripted attempt, for catalogs and reports."""
        return [f"attempt {i}: {describe_attempt(a)}" for i, a in enumerate(self.attempts, 1)]


def describe_attempt(attempt: AttemptScript) -> str:
    parts = [attempt.outcome.value]
    if attempt.retriable is not None:
        parts.append("retriable" if attempt.retriable else "not retriable")
    if attempt.after_polls is not None:
        parts.append(f"after {attempt.after_polls} polls")
    elif attempt.after_seconds is not None:
        parts.append(f"after {attempt.after_seconds:g} s")
    callback = attempt.callback
    if callback.drop:
        parts.append("callback dropped")
    else:
        if callback.delay_seconds:
            parts.append(f"callback delayed {callback.delay_seconds:g} s")
        if callback.duplicates:
            parts.append(f"callback sent {callback.duplicates + 1} times")
    return ", ".join(parts)


def describe_fault(fault: FaultScript) -> str:
    when = "every call"
    if fault.on_calls is not None:
        when = "call " + ", ".join(str(n) for n in fault.on_calls)
    elif fault.probability is not None:
        when = f"p={fault.probability:g}" + (f" (seed {fault.seed})" if fault.seed is not None else "")
    effects = []
    if fault.latency_seconds:
        effects.append(f"+{fault.latency_seconds:g} s latency")
    error = fault.error()
    if error is not None:
        effects.append(error.describe())
    if fault.drop_connection:
        effects.append("connection dropped")
    return f"{fault.endpoint.value} {when}: {', '.join(effects)}"


def plan_json(name: str, attempt: AttemptScript) -> dict[str, Any]:
    """The `submissions.plan` JSON confirm stores: what processing and callback delivery do with it."""
    plan: dict[str, Any] = {"scenario": name, "outcome": attempt.outcome.value}
    if attempt.retriable is not None:
        plan["retriable"] = attempt.retriable
    if attempt.error_message is not None:
        plan["errorMessage"] = attempt.error_message
    callback = attempt.callback
    if callback != CallbackBehaviour():
        plan["callback"] = {
            "delaySeconds": callback.delay_seconds,
            "duplicates": callback.duplicates,
            "drop": callback.drop,
        }
    return plan
