"""The scenario engine without HTTP: plans per attempt, binding precedence, fault triggers, validation."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from simulator.domain.binding import Catalog, Choice, Source, choose, rebind_for_image
from simulator.domain.faults import Endpoint, fires, gateway_body, seeded_draw
from simulator.domain.outcomes import Outcome, verdict_for
from simulator.domain.scripts import AttemptScript, Behaviour, FaultScript, Script, describe_fault, plan_json
from simulator.domain.states import NextAction, Status, next_action

SCRIPTS = Catalog.of(
    [
        Script(name="liveness-pass", magic_user_id="SIM_PASS", magic_image="pass.jpg", magic_image_sha256="aa"),
        Script(name="spoof", magic_user_id="SIM_SPOOF", attempts=[AttemptScript(outcome=Outcome.NOT_LIVE)]),
        Script(name="spoof-slow", magic_user_id="SIM_SPOOF_SLOW", attempts=[AttemptScript(after_polls=9)]),
        Script(name="error", magic_image="error.jpg", magic_image_sha256="ee"),
    ]
)


@pytest.mark.parametrize(
    ("attempts", "attempt", "expected"),
    [
        ([{"outcome": "NOT_LIVE"}, {"outcome": "PASS"}], 1, "NOT_LIVE"),
        ([{"outcome": "NOT_LIVE"}, {"outcome": "PASS"}], 2, "PASS"),
        ([{"outcome": "NOT_LIVE"}, {"outcome": "PASS"}], 3, "PASS"),
        ([{"outcome": "ERROR"}], 5, "ERROR"),
    ],
)
def test_plan_for_attempt_and_the_last_one_repeats(attempts: list[dict[str, Any]], attempt: int, expected: str) -> None:
    assert Behaviour.model_validate({"attempts": attempts}).plan_for(attempt).outcome.value == expected


@pytest.mark.parametrize(
    ("attempt", "plan"),
    [
        ({}, {"scenario": "s", "outcome": "PASS"}),
        ({"outcome": "ERROR", "retriable": True}, {"scenario": "s", "outcome": "ERROR", "retriable": True}),
        (
            {"outcome": "ERROR", "error_message": "Face detection failed"},
            {"scenario": "s", "outcome": "ERROR", "errorMessage": "Face detection failed"},
        ),
        (
            {"callback": {"delay_seconds": 30, "duplicates": 2}},
            {"scenario": "s", "outcome": "PASS", "callback": {"delaySeconds": 30, "duplicates": 2, "drop": False}},
        ),
        (
            {"outcome": "NOT_LIVE", "callback": {"drop": True}},
            {"scenario": "s", "outcome": "NOT_LIVE", "callback": {"delaySeconds": 0, "duplicates": 0, "drop": True}},
        ),
    ],
)
def test_plan_json_is_the_submission_plan_contract(attempt: dict[str, Any], plan: dict[str, Any]) -> None:
    assert plan_json("s", AttemptScript.model_validate(attempt)) == plan


@pytest.mark.parametrize(
    ("outcome", "retriable", "attempt", "expected"),
    [
        (Outcome.PASS, None, 1, (Status.COMPLETED, NextAction.EXIT)),
        (Outcome.NOT_LIVE, None, 1, (Status.COMPLETED, NextAction.RETRY)),
        (Outcome.NOT_LIVE, None, 3, (Status.COMPLETED, NextAction.EXIT)),
        (Outcome.NOT_LIVE, False, 1, (Status.COMPLETED, NextAction.EXIT)),
        (Outcome.FACE_MATCH_FAILED, None, 2, (Status.COMPLETED, NextAction.RETRY)),
        (Outcome.REFERENCE_IMAGE_VALIDATION_FAILED, None, 1, (Status.COMPLETED, NextAction.EXIT)),
        (Outcome.ERROR, None, 1, (Status.ERROR, NextAction.EXIT)),
        (Outcome.ERROR, True, 1, (Status.ERROR, NextAction.RETRY)),
    ],
)
def test_outcome_and_retriable_give_the_next_action(
    outcome: Outcome, retriable: bool | None, attempt: int, expected: tuple[Status, NextAction]
) -> None:
    plan = AttemptScript(outcome=outcome, retriable=retriable)
    verdict = verdict_for(plan.outcome, retriable=plan.retriable)
    action = next_action(verdict.status, verdict.result, verdict.retriable, attempt, 3)
    assert (verdict.status, action) == expected


BOUND = Choice("inline", Behaviour(attempts=[AttemptScript(outcome=Outcome.ERROR)]), Source.BINDING)


@pytest.mark.parametrize(
    ("binding", "user_id", "partner_default", "expected"),
    [
        (BOUND, "SIM_SPOOF-1", "spoof", ("inline", Source.BINDING)),
        (None, "SIM_SPOOF-1", "error", ("spoof", Source.MAGIC_USER_ID)),
        (None, "sim_spoof_slow-2", None, ("spoof-slow", Source.MAGIC_USER_ID)),
        (None, "user-1", "spoof", ("spoof", Source.PARTNER_DEFAULT)),
        (None, "user-1", "no-such-scenario", ("liveness-pass", Source.DEFAULT)),
        (None, "user-1", None, ("liveness-pass", Source.DEFAULT)),
    ],
)
def test_first_match_wins(
    binding: Choice | None, user_id: str, partner_default: str | None, expected: tuple[str, Source]
) -> None:
    choice = choose(SCRIPTS, binding=binding, user_id=user_id, partner_default=partner_default)
    assert (choice.name, choice.source) == expected


@pytest.mark.parametrize(
    ("source", "sha", "expected"),
    [
        (Source.DEFAULT, "ee", "error"),
        (Source.PARTNER_DEFAULT, "ee", "error"),
        (Source.MAGIC_IMAGE, "ee", "error"),
        (Source.MAGIC_USER_ID, "ee", None),
        (Source.BINDING, "ee", None),
        (Source.DEFAULT, "unknown", None),
        (Source.DEFAULT, "aa", "liveness-pass"),
    ],
)
def test_magic_image_only_beats_weaker_sources(source: Source, sha: str, expected: str | None) -> None:
    current = Choice("spoof", SCRIPTS["spoof"], source)
    switched = rebind_for_image(current, SCRIPTS, sha)
    assert (switched.name if switched else None) == expected


@pytest.mark.parametrize(
    ("on_calls", "probability", "call", "draw", "expected"),
    [
        ([2, 3], None, 1, 0.0, False),
        ([2, 3], None, 2, 0.99, True),
        ([2, 3], None, 4, 0.0, False),
        (None, 0.3, 1, 0.29, True),
        (None, 0.3, 1, 0.3, False),
        (None, None, 7, 0.99, True),
    ],
)
def test_fault_triggers(
    on_calls: list[int] | None, probability: float | None, call: int, draw: float, expected: bool
) -> None:
    assert fires(on_calls, probability, call, draw) is expected


def test_seeded_draws_repeat_and_depend_on_seed_endpoint_and_call() -> None:
    first = [seeded_draw(7, Endpoint.STATUS, call) for call in range(1, 50)]
    assert first == [seeded_draw(7, Endpoint.STATUS, call) for call in range(1, 50)]
    assert first != [seeded_draw(8, Endpoint.STATUS, call) for call in range(1, 50)]
    assert first != [seeded_draw(7, Endpoint.CONFIRM, call) for call in range(1, 50)]
    assert all(0 <= d < 1 for d in first)
    assert 10 < sum(d < 0.5 for d in first) < 40


def _answer(**fault: Any) -> tuple[int, tuple[str, str] | None, dict[str, str]] | None:
    answer = FaultScript.model_validate(fault).error()
    return None if answer is None else (answer.status, answer.vendor, answer.headers)


def test_fault_error_defaults_to_the_documented_body() -> None:
    assert _answer(endpoint="status", status=500) == (500, ("900", "SOMETHING_WENT_WRONG"), {})
    assert _answer(endpoint="confirm", status=503) == (503, ("903", "SERVICE_UNAVAILABLE"), {})
    assert _answer(endpoint="details", status=403, code=903) == (403, ("903", "FORBIDDEN"), {})
    assert _answer(endpoint="presign", latency_seconds=1) is None


def test_undocumented_statuses_answer_with_the_gateway_body_and_headers() -> None:
    assert _answer(endpoint="status", status=503, headers={"Retry-After": 30}) == (503, None, {"Retry-After": "30"})
    assert _answer(endpoint="status", status=429) == (429, None, {})
    assert _answer(endpoint="presign", status=429) == (429, ("429", "SUBMISSION_QUOTA_EXCEEDED"), {})
    assert gateway_body(503) == {"message": "Service Unavailable"}
    assert gateway_body(504) == {"message": "Endpoint request timed out"}
    assert gateway_body(418) == {"message": "I'm a Teapot"}
    fault = FaultScript.model_validate({"endpoint": "status", "status": 502, "headers": {"Retry-After": "5"}})
    assert describe_fault(fault) == "status every call: HTTP 502 gateway 'Bad Gateway', Retry-After: 5"


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"endpoint": "status", "status": 399}, "greater than or equal to 400"),
        ({"endpoint": "status", "status": 600}, "less than or equal to 599"),
        ({"endpoint": "status", "status": 503, "cause": "X"}, "code and cause apply only to a status the vendor"),
        ({"endpoint": "status", "latency_seconds": 1, "headers": {"Retry-After": "1"}}, "headers need a status"),
        ({"endpoint": "status", "status": 503, "headers": {"Content-Length": "1"}}, "may not set Content-Length"),
        ({"endpoint": "status", "status": 503, "headers": {"Bad Name": "1"}}, "String should match pattern"),
        ({"endpoint": "status", "status": 503, "headers": {"Retry-After": "1\r\nX: y"}}, "String should match"),
        ({"endpoint": "status"}, "a fault needs an effect"),
        ({"endpoint": "status", "status": 500, "drop_connection": True}, "not both"),
        ({"endpoint": "status", "status": 500, "on_calls": [1], "probability": 0.5}, "on_calls or probability"),
        ({"endpoint": "status", "status": 500, "seed": 3}, "seed applies only with probability"),
        ({"endpoint": "status", "status": 500, "on_calls": [0]}, "greater than or equal to 1"),
        ({"endpoint": "token", "status": 500}, "Input should be 'initiate'"),
    ],
)
def test_invalid_faults_say_why(fault: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FaultScript.model_validate(fault)


@pytest.mark.parametrize(
    ("attempt", "message"),
    [
        ({"after_seconds": 2, "after_polls": 3}, "not both"),
        ({"outcome": "PASS", "error_message": "x"}, "error_message applies only to outcome ERROR"),
        ({"outcome": "SPOOF"}, "Input should be 'PASS'"),
        ({"outcom": "PASS"}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_attempts_say_why(attempt: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AttemptScript.model_validate(attempt)


def test_catalog_refuses_two_scenarios_with_one_name() -> None:
    with pytest.raises(ValueError, match="two scenarios are named 'a'"):
        Catalog.of([Script(name="a"), Script(name="a")])
