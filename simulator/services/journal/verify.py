"""`POST /_sim/verify`: did a described request happen (how often, in which order)? Answers for CI.

A matcher names any of client, partner session, session key, submission, direction, kind, method,
path (exact, or a glob where `*` matches anything, `/` included) and status (a code, or a class such
as "4xx"), with at most one count rule: `count` (exactly), `atLeast`, `atMost` (default: at least
once). A sequence is a list of matchers that must have happened in that order (not necessarily
back to back); top-level fields of a sequence body are defaults for its steps.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulator.errors import SimBadRequest
from simulator.services.context import Services
from simulator.services.control.params import StatusFilter, problems
from simulator.services.control.reads import journal_query
from simulator.services.control.views import request_json
from simulator.store.journal_rows import JournalQuery, JournalRecord, JournalStore

SHOWN_MAX = 100


class Matcher(BaseModel):
    """What a journaled request must look like; unset fields match anything."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    client_id: str | None = Field(None, alias="clientId")
    partner_session_id: str | None = Field(None, alias="partnerSessionId")
    session_key: str | None = Field(None, alias="sessionKey")
    submission_id: str | None = Field(None, alias="submissionId")
    direction: str | None = Field(None, pattern="^(inbound|outbound)$")
    kind: str | None = None
    method: str | None = None
    path: str | None = None
    status: StatusFilter | None = None

    def query(self) -> JournalQuery:
        return journal_query(self)

    def describe(self) -> str:
        what = " ".join(p for p in (self.method.upper() if self.method else "any", self.path or "any path") if p)
        code, family = self.status or (None, None)
        extras = [f"status {code if code is not None else f'{family}xx'}"] if self.status is not None else []
        for label, value in (
            ("direction", self.direction),
            ("kind", self.kind),
            ("clientId", self.client_id),
            ("partnerSessionId", self.partner_session_id),
            ("sessionKey", self.session_key),
            ("submissionId", self.submission_id),
        ):
            if value is not None:
                extras.append(f"{label} {value}")
        return what + (f" ({', '.join(extras)})" if extras else "")


class CountRule(Matcher):
    count: int | None = Field(None, ge=0)
    at_least: int | None = Field(None, alias="atLeast", ge=0)
    at_most: int | None = Field(None, alias="atMost", ge=0)

    @model_validator(mode="after")
    def _one_rule(self) -> CountRule:
        """`count` excludes the range rules."""
        if self.count is not None and (self.at_least is not None or self.at_most is not None):
            raise ValueError("use either `count` (exactly) or `atLeast` / `atMost`, not both")
        return self

    def expected(self) -> str:
        if self.count is not None:
            return f"exactly {self.count}"
        if self.at_least is not None and self.at_most is not None:
            return f"between {self.at_least} and {self.at_most}"
        if self.at_most is not None:
            return f"at most {self.at_most}"
        return f"at least {1 if self.at_least is None else self.at_least}"

    def holds(self, n: int) -> bool:
        if self.count is not None:
            return n == self.count
        low = 1 if self.at_least is None and self.at_most is None else (self.at_least or 0)
        return n >= low and (self.at_most is None or n <= self.at_most)


class OrderRule(Matcher):
    sequence: list[Matcher] = Field(min_length=1)

    def steps(self) -> list[Matcher]:
        defaults = self.model_dump(exclude={"sequence"}, exclude_none=True)
        return [Matcher.model_validate(defaults | step.model_dump(exclude_none=True)) for step in self.sequence]


def parse(body: dict[str, Any]) -> CountRule | OrderRule:
    try:
        rule: CountRule | OrderRule = (
            OrderRule.model_validate(body) if "sequence" in body else CountRule.model_validate(body)
        )
        for matcher in rule.steps() if isinstance(rule, OrderRule) else [rule]:
            matcher.query()
    except ValidationError as exc:
        raise SimBadRequest(f"Malformed verify request: {problems(exc)}. See GET /_sim/openapi.json.") from None
    except ValueError as exc:
        raise SimBadRequest(str(exc)) from None
    return rule


def _brief(records: list[JournalRecord]) -> list[dict[str, Any]]:
    return [request_json(r, brief=True) for r in records[:SHOWN_MAX]]


async def verify(svc: Services, body: dict[str, Any]) -> dict[str, Any]:
    """The verdict on one count rule or one sequence: ok, matched, expected, message, requests."""
    rule = parse(body)
    await svc.journal.flush()
    store = JournalStore(svc.repo)
    if isinstance(rule, OrderRule):
        return await _sequence(store, rule)
    query = rule.query()
    matched = await store.requests(query)  # a coalesced entry counts as the requests it stands for
    shown = await store.query(query, limit=SHOWN_MAX, newest_first=False)
    ok = rule.holds(matched)
    expected = rule.expected()
    plural = "request" if matched == 1 else "requests"
    message = f"expected {expected} request(s) matching {rule.describe()}, found {matched} {plural}"
    if not ok and matched == 0:
        scope = JournalQuery(client_id=rule.client_id, partner_session_id=rule.partner_session_id)
        recent = await store.query(scope, limit=5)
        if recent:
            seen = "; ".join(f"#{r.id} {r.method} {r.path} -> {r.status}" for r in reversed(recent))
            message += f". Latest requests in that scope: {seen}"
    return {"ok": ok, "matched": matched, "expected": expected, "message": message, "requests": _brief(shown)}


async def _sequence(store: JournalStore, rule: OrderRule) -> dict[str, Any]:
    steps = rule.steps()
    found: list[JournalRecord] = []
    after = 0
    spare = 0  # further requests the last matched entry stands for (identical polls coalesced into it)
    for number, step in enumerate(steps, start=1):
        query = step.query()
        if spare:  # those requests came right after the matched one: a step they match is one of them
            again = await store.query(replace(query, after_id=after - 1), limit=1, newest_first=False)
            if again and again[0].id == after:
                spare -= 1
                found.append(again[0])
                continue
        hits = await store.query(replace(query, after_id=after), limit=1, newest_first=False)
        if not hits:
            earlier = await store.requests(query)
            where = f"after #{after} ({found[-1].method} {found[-1].path})" if found else "at all"
            message = f"step {number} of {len(steps)} ({step.describe()}) did not happen {where}"
            if found and earlier:
                message += f"; it happened {earlier} time(s), all before #{after}"
            return {
                "ok": False,
                "matched": number - 1,
                "expected": f"a sequence of {len(steps)}",
                "message": message,
                "requests": _brief(found),
            }
        found.append(hits[0])
        after = hits[0].id
        spare = hits[0].repeats - 1
    summary = " -> ".join(f"#{r.id} {r.method} {r.path}" for r in found)
    return {
        "ok": True,
        "matched": len(steps),
        "expected": f"a sequence of {len(steps)}",
        "message": f"all {len(steps)} steps happened in order: {summary}",
        "requests": _brief(found),
    }
