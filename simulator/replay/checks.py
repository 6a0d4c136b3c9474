"""Checking a replay against its scenario's expectations: one `Mismatch` per step that differs.

Only the fields an expectation writes are compared (`null` expects absence); lists must match entry
by entry and in length. Each mismatch names the step (e.g. "attempt 2, poll 3"), what was expected,
what came, and the request that produced it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from simulator.domain.scripts import Model
from simulator.replay.observed import Call, Run
from simulator.scenarios.schema import Expect, PollExpectation

_NOT_FIELDS = {"times"}


class Observed(Protocol):
    def get(self, key: str) -> Any: ...

    def summary(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Mismatch:
    step: str
    expected: str
    actual: str
    request: str | None = None


def _fields(expectation: Model) -> list[str]:
    return [name for name in type(expectation).model_fields if name in expectation.model_fields_set - _NOT_FIELDS]


def _text(value: Any) -> str:
    if value is None:
        return "(absent)"
    if value == "":
        return '""'
    return str(value).lower() if isinstance(value, bool) else str(value)


def _show(pairs: list[tuple[str, Any]]) -> str:
    return "{" + ", ".join(f"{k}: {_text(v)}" for k, v in pairs) + "}"


def _expected_value(expectation: Model, name: str) -> Any:
    return getattr(expectation, name)


def _same(expected: Any, actual: Any) -> bool:
    """Equal, with booleans never equal to numbers (YAML `1` does not match JSON `true`)."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    return bool(expected == actual)


def _pairs(expectation: Model, observed: Observed) -> list[tuple[str, Any, Any]]:
    """(label, expected, observed) per written field; `fields` expands to one pair per dotted path."""
    pairs: list[tuple[str, Any, Any]] = []
    for name in _fields(expectation):
        value = _expected_value(expectation, name)
        if name == "fields":
            lookup = getattr(observed, "lookup", None)
            pairs += [(path, v, lookup(path) if lookup else None) for path, v in (value or {}).items()]
        else:
            pairs.append((name, value, observed.get(name)))
    return pairs


def compare(step: str, expectation: Model, observed: Observed, request: str | None) -> list[Mismatch]:
    pairs = _pairs(expectation, observed)
    if all(_same(expected, actual) for _, expected, actual in pairs):
        return []
    expected = _show([(label, value) for label, value, _ in pairs])
    actual = _show([(label, value) for label, _, value in pairs])
    if isinstance(observed, Call) and not observed.ok:
        actual += f"  ({observed.summary()})"
    return [Mismatch(step, expected, actual, request)]


def compare_list(
    step: str,
    noun: str,
    expectations: Sequence[Model],
    observed: Sequence[Observed],
    request_of: Callable[[Observed], str | None] | None = None,
) -> list[Mismatch]:
    """Entry by entry; then a missing or an extra entry (only the first of them) is one more mismatch."""
    found: list[Mismatch] = []
    for i, (expectation, item) in enumerate(zip(expectations, observed, strict=False), 1):
        found += compare(f"{step}{noun} {i}", expectation, item, request_of(item) if request_of else None)
    if len(observed) < len(expectations):
        missing = expectations[len(observed)]
        shown = _show([(n, _expected_value(missing, n)) for n in _fields(missing)])
        found.append(Mismatch(f"{step}{noun} {len(observed) + 1}", shown, f"nothing: {len(observed)} {noun}(s) in all"))
    elif len(observed) > len(expectations):
        extra = observed[len(expectations)]
        found.append(
            Mismatch(
                f"{step}{noun} {len(expectations) + 1}",
                f"{len(expectations)} {noun}(s) in all",
                f"{len(observed)} {noun}(s); this one: {extra.summary()}",
                request_of(extra) if request_of else None,
            )
        )
    return found


def _expand(polls: Sequence[PollExpectation]) -> list[PollExpectation]:
    return [poll for poll in polls for _ in range(poll.times)]


def _request(item: Observed) -> str | None:
    return item.request if isinstance(item, Call) else None


def check(expect: Expect, run: Run) -> list[Mismatch]:
    """Every way `run` differs from `expect`."""
    found: list[Mismatch] = []
    if expect.attempts is not None:
        if len(expect.attempts) != len(run.attempts):
            found.append(Mismatch("attempts", f"{len(expect.attempts)} attempt(s)", f"{len(run.attempts)} attempt(s)"))
        for number, (wanted, attempt) in enumerate(zip(expect.attempts, run.attempts, strict=False), 1):
            if wanted.polls is not None:
                found += compare_list(f"attempt {number}, ", "poll", _expand(wanted.polls), attempt.polls, _request)
            if wanted.final is not None:
                if attempt.final is None:
                    found.append(Mismatch(f"attempt {number}, final", "a verdict", "no Get Submission Details"))
                else:
                    found += compare(f"attempt {number}, final", wanted.final, attempt.final, attempt.final.request)
    if expect.errors is not None:
        found += compare_list("", "error", expect.errors, run.errors, _request)
    if expect.callbacks is not None:
        found += compare_list("", "callback", expect.callbacks, run.callbacks)
    for n, delivery in enumerate(run.callbacks, 1):
        if delivery.body.get("partnerSessionId") != run.partner_session_id:
            found.append(
                Mismatch(
                    f"callback {n}",
                    f"partnerSessionId {run.partner_session_id}",
                    f"partnerSessionId {delivery.body.get('partnerSessionId')}",
                )
            )
    if expect.callback_outcomes is not None:
        found += compare_list("", "callback outcome", expect.callback_outcomes, run.callback_outcomes)
    if expect.duplicates_identical is not None:
        found += _identical(expect.duplicates_identical, run)
    if expect.details is not None:
        if run.details is None:
            found.append(Mismatch("details", "Get Submission Details", "never asked: no attempt was made"))
        else:
            found += compare("details", expect.details, run.details, run.details.request)
    return found


def _identical(expected: bool, run: Run) -> list[Mismatch]:
    """Whether every delivery about one submission carried the bytes of the first delivery about it."""
    first: dict[object, int] = {}
    differing: list[str] = []
    for n, delivery in enumerate(run.callbacks, 1):
        key = delivery.body.get("submissionId")
        earlier = first.setdefault(key, n)
        if earlier != n and run.callbacks[earlier - 1].raw != delivery.raw:
            differing.append(f"callback {n} differs from callback {earlier}")
    if (not differing) == expected:
        return []
    if expected:
        return [Mismatch("duplicates identical", "byte-identical bodies per submission", "; ".join(differing))]
    return [Mismatch("duplicates identical", "a body that differs", "every body of a submission is identical")]
