"""The scenario file format: the script, how replay plays it, and the observable sequence it expects.

Every model forbids unknown fields, so a typo is an error that names the file and the field. The
published JSON Schema (`onekyc-sim scenarios schema`) is generated from these models; their field
descriptions are the scenario reference. In an expectation, only the fields written are checked, and a
field written as `null` expects the value to be absent.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from pydantic import Field, model_validator

from simulator.domain.scripts import MAGIC_USER_ID_PATTERN, NAME_PATTERN, Behaviour, Code, Model, Script
from simulator.domain.states import CallbackState


class ReferenceImage(StrEnum):
    """What the partner's reference-image URL serves."""

    NONE = "none"
    OK = "ok"
    MISSING = "missing"
    NOT_AN_IMAGE = "not-an-image"
    ERROR = "error"
    UNREACHABLE = "unreachable"


class ReferenceEndpoint(StrEnum):
    """How the simulator learns of the reference image: from Initiate Flow, or from the partner's endpoint."""

    NONE = "none"
    URL = "url"
    IMAGE = "image"


class Replay(Model):
    """How the replay runner plays the partner backend and the SDK for this scenario."""

    user_id: str = Field("qa-user", min_length=1, description="The x-partner-user-id Initiate Flow sends.")
    poll_interval_seconds: float = Field(
        1, gt=0, description="Simulator-clock seconds the runner advances between two status polls."
    )
    max_polls: int = Field(30, ge=1, le=1000, description="Status polls per attempt before the runner gives up.")
    max_retries: int = Field(
        3, ge=0, le=20, description="Times the SDK repeats a presign, upload or confirm after a 5xx or dropped call."
    )
    selfies: list[str] = Field(
        default_factory=list,
        description="Selfie file per attempt (relative to this file, else to the shipped scenarios); the last "
        "repeats. Default: a generated image that is nobody's magic selfie.",
    )
    reference_image: ReferenceImage = Field(
        ReferenceImage.NONE,
        description="The partner's reference image, served by the runner: ok (a JPEG), missing (404), "
        "not-an-image (text/plain), error (500), unreachable (a closed port). none: no reference image. "
        "Sent as additionalDetails.referenceImageUrl unless reference_endpoint says otherwise.",
    )
    reference_endpoint: ReferenceEndpoint = Field(
        ReferenceEndpoint.NONE,
        description="none: the URL goes in Initiate Flow. Else Initiate Flow carries none and the runner's "
        "partner is registered with a Get Reference Image endpoint (GET, user details in the query) that "
        'answers url: 200 {"referenceImageUrl": ...} (the URL then serves what reference_image says) or '
        "image: what reference_image says, itself (ok: the JPEG bytes, missing: 404, error: 500, unreachable: "
        "the endpoint is on a closed port).",
    )
    callback_answers: list[int] = Field(
        default_factory=list,
        description="HTTP statuses the partner's callback endpoint answers, delivery by delivery; then 200.",
    )
    presign_after_exit: bool = Field(
        False, description="After the flow's EXIT, ask for upload URLs once more (shows the 429 of exhausted attempts)."
    )
    settle_seconds: float = Field(
        3600,
        ge=0,
        description="After the SDK is done, advance the clock up to this far while callbacks are still pending.",
    )

    @model_validator(mode="after")
    def _reference(self) -> Replay:
        if self.reference_endpoint is not ReferenceEndpoint.NONE and self.reference_image is ReferenceImage.NONE:
            raise ValueError("reference_endpoint needs a reference_image (ok, missing, not-an-image, error, ...)")
        return self


class ResponseExpectation(Model):
    """How a vendor call answered: its HTTP status, or its error, or no answer at all."""

    http: int | None = Field(None, description="HTTP status (200 on success).")
    code: Code | None = Field(None, description="errors[0].code of an error response.")
    cause: str | None = Field(None, description="errors[0].cause of an error response.")
    message: str | None = Field(
        None, description='message of a gateway-style error body ({"message": "Service Unavailable"}).'
    )
    retry_after: str | None = Field(None, description="The Retry-After response header.")
    dropped: bool | None = Field(None, description="true: the connection dropped without a complete response.")


class PollExpectation(ResponseExpectation):
    """One status poll (or `times` identical polls in a row)."""

    status: str | None = Field(None, description="data.status: INITIATED, IN_PROGRESS, COMPLETED or ERROR.")
    next_action: str | None = Field(None, description="data.nextAction: STATUS, RETRY or EXIT.")
    error_message: str | None = Field(None, description="data.errorMessage (set for status ERROR).")
    times: int = Field(1, ge=1, le=1000, description="This many polls in a row look like this.")


class Verdict(Model):
    """A submission's end as Get Submission Details (or a callback) reports it."""

    status: str | None = Field(None, description="COMPLETED, ERROR or IN_PROGRESS.")
    result: str | None = Field(None, description="VALID or INVALID; absent for ERROR and IN_PROGRESS.")
    reason_code: str | None = Field(None, description='reasonCode: "" when valid, e.g. NOT_LIVE, VERIFICATION_FAILED.')
    fields: dict[str, Any] | None = Field(
        None,
        description="Any other fields of the response's data, by dotted path, e.g. "
        "submissionDetails.verificationResults.faceMatch.result: true (a number in a path indexes a list; "
        "a value of null expects the field to be absent).",
    )


class AttemptExpectation(Model):
    """What the SDK and the partner see of one attempt."""

    polls: list[PollExpectation] | None = Field(None, description="Every status poll of the attempt, in order.")
    final: Verdict | None = Field(
        None, description="Get Submission Details by x-submission-id, once callbacks have settled."
    )


class ErrorExpectation(Model):
    """One error (non-2xx or dropped connection) any call of the run got, in order."""

    call: str | None = Field(
        None, description="token, initiate, presign, upload, confirm, status or details (the partner's own calls)."
    )
    attempt: int | None = Field(None, ge=1, description="The attempt the SDK was on (none for partner calls).")
    http: int | None = Field(None, description="HTTP status.")
    code: Code | None = Field(None, description="errors[0].code.")
    cause: str | None = Field(None, description="errors[0].cause.")
    message: str | None = Field(None, description="message of a gateway-style error body.")
    retry_after: str | None = Field(None, description="The Retry-After response header.")
    dropped: bool | None = Field(None, description="true: the connection dropped without a complete response.")


class CallbackExpectation(Model):
    """One callback delivery the partner's endpoint received, in order of arrival."""

    attempt: int | None = Field(None, ge=1, description="The attempt whose submission the callback is about.")
    status: str | None = Field(None, description="COMPLETED or ERROR.")
    result: str | None = Field(None, description="VALID or INVALID; absent for ERROR.")
    reason_code: str | None = Field(None, description='reasonCode: "" when valid, e.g. NOT_LIVE, VERIFICATION_FAILED.')
    answered: int | None = Field(
        None, description="The HTTP status the partner's endpoint answered this delivery with."
    )


class CallbackOutcomeExpectation(Model):
    """One callback the simulator made (its first delivery, retries, final state), in order of creation."""

    attempt: int | None = Field(None, ge=1, description="The attempt whose submission the callback is about.")
    cause: str | None = Field(None, description="completion, or duplicate (an extra copy the scenario asked for).")
    state: CallbackState | None = Field(
        None, description="Where it ended: delivered, given_up (every retry failed), dropped, skipped, pending."
    )
    answers: list[int | None] | None = Field(
        None,
        description="The answer each delivery attempt got, in order: an HTTP status, or null for none "
        "(timeout, refused connection); e.g. [500, 503, 200].",
    )


class Expect(Model):
    """The observable sequence replay must see. Omitted parts are not checked."""

    attempts: list[AttemptExpectation] | None = Field(
        None, description="One entry per attempt the SDK made (the count must match)."
    )
    errors: list[ErrorExpectation] | None = Field(
        None, description="Every error response or dropped call of the run, in order ([] = none at all)."
    )
    callbacks: list[CallbackExpectation] | None = Field(
        None, description="Every callback delivery, in order of arrival, retries and duplicates included."
    )
    callback_outcomes: list[CallbackOutcomeExpectation] | None = Field(
        None,
        description="Every callback the simulator made, in order of creation, each with the answers its "
        "delivery attempts got and its final state (the simulator's record, GET /_sim/callbacks).",
    )
    duplicates_identical: bool | None = Field(
        None,
        description="true: every delivery about the same submission (retries and duplicates) carried a "
        "byte-identical body.",
    )
    details: Verdict | None = Field(
        None, description="Get Submission Details by x-partner-session-id (the latest attempt) at the end."
    )


class ScenarioFile(Behaviour):
    """A scenario file: the script the simulator runs, how replay plays it, and what replay must observe."""

    name: str = Field(pattern=NAME_PATTERN, description="Unique name; what bindings and partner defaults refer to.")
    description: str = Field(min_length=1, description="What the scenario shows, in a sentence or two.")
    magic_user_id: str | None = Field(
        None,
        pattern=MAGIC_USER_ID_PATTERN,
        description="An x-partner-user-id starting with this value (any case) selects the scenario.",
    )
    magic_image: str | None = Field(
        None,
        description="A sample selfie whose exact bytes select the scenario from the attempt that uploads it; "
        "a path relative to this file, else to the shipped scenarios (images/selfie-spoof.jpg).",
    )
    replay: Replay = Field(default_factory=Replay, description="How replay plays partner backend and SDK.")
    expect: Expect = Field(default_factory=Expect, description="What replay must observe.")

    def behaviour(self) -> Behaviour:
        return Behaviour.model_validate(self.model_dump(include=set(Behaviour.model_fields)))

    def script(self, magic_image_sha256: str | None) -> Script:
        return Script.model_validate(
            {
                **self.model_dump(include=set(Behaviour.model_fields)),
                "name": self.name,
                "description": self.description,
                "magic_user_id": self.magic_user_id,
                "magic_image": self.magic_image.rsplit("/", 1)[-1] if self.magic_image else None,
                "magic_image_sha256": magic_image_sha256,
            }
        )


SCHEMA_ID = "https://onekyc-sim.local/scenario.schema.json"


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of scenario files."""
    schema = ScenarioFile.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
