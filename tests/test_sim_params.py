"""Every numeric or enumerated `/_sim` query parameter and body field goes through one validator
(simulator.services.control.params): a bad value is a 400 `SIM_400` naming the field, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Sim

pytestmark = pytest.mark.anyio

LISTINGS = ["/_sim/requests", "/_sim/sessions", "/_sim/callbacks", "/_sim/jobs"]
BAD_LIMITS = ["²", "٣", "-1", "1e9", "1.0", "0", "1001", " 5", "1_0", "9" * 40, ""]


def _refusal(response: Any, field: str) -> str:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["success"] is False
    [error] = body["errors"]
    assert error["code"] == "SIM_400"
    assert f"`{field}`" in error["cause"], error["cause"]
    cause: str = error["cause"]
    return cause


@pytest.mark.parametrize("path", LISTINGS)
async def test_a_bad_limit_is_a_400_naming_it(sim: Sim, path: str) -> None:
    for raw in BAD_LIMITS:
        _refusal(await sim.http.get(f"{path}?limit={raw}"), "limit")
    assert (await sim.http.get(f"{path}?limit=7")).status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("after=²", "after"),
        ("after=99999999999999999999", "after"),
        ("status=²⁰⁰", "status"),
        ("status=9999", "status"),
        ("status=4yy", "status"),
        ("since=nan", "since"),
        ("until=9999-12-31T23:59:59-23:59", "until"),
        ("since=1e999", "since"),
        ("direction=sideways", "direction"),
        ("order=random", "order"),
    ],
)
async def test_bad_journal_filters_are_400s(sim: Sim, query: str, field: str) -> None:
    _refusal(await sim.http.get(f"/_sim/requests?{query}"), field)


async def test_unknown_enum_values_are_400s_listing_the_choices(sim: Sim) -> None:
    assert "'given_up'" in _refusal(await sim.http.get("/_sim/callbacks?state=lost"), "state")
    assert "'failed'" in _refusal(await sim.http.get("/_sim/jobs?state=stuck"), "state")
    assert "'fetch_reference'" in _refusal(await sim.http.get("/_sim/jobs?kind=other"), "kind")
    _refusal(await sim.http.get("/_sim/bindings?clientId="), "clientId")


async def test_good_filters_still_work(sim: Sim) -> None:
    for query in ("status=4XX", "status=200", "after=0", "since=2026-01-01T00:00:00Z", "since=0", "order=asc"):
        assert (await sim.http.get(f"/_sim/requests?{query}")).status_code == 200, query


@pytest.mark.parametrize(
    ("path", "content", "field"),
    [
        ("/_sim/clock/advance", '{"seconds": Infinity}', "seconds"),
        ("/_sim/clock/advance", '{"seconds": NaN}', "seconds"),
        ("/_sim/clock/advance", '{"seconds": 1e308}', "seconds"),
        ("/_sim/clock/advance", '{"seconds": true}', "seconds"),
        ("/_sim/clock/advance", '{"seconds": -1}', "seconds"),
        ("/_sim/clock/advance", '{"seconds": "5"}', "seconds"),
        ("/_sim/clock/freeze", '{"at": "9999-12-31T23:59:59-23:59"}', "at"),
        ("/_sim/clock/set", '{"at": "0001-01-01T00:00:00+14:00"}', "at"),
        ("/_sim/clock/set", '{"at": true}', "at"),
        ("/_sim/submissions/x/force", '{"outcome": "MAYBE"}', "outcome"),
        ("/_sim/submissions/x/force", '{"outcome": "PASS", "retriable": "yes"}', "retriable"),
        ("/_sim/reset", '{"clientId": 5}', "clientId"),
        ("/_sim/reset", '{"everything": true}', "everything"),
        ("/_sim/verify", '{"status": 100000000000000000000000000000}', "status"),
        ("/_sim/verify", '{"status": "²⁰⁰"}', "status"),
    ],
)
async def test_bad_body_fields_are_400s(sim: Sim, path: str, content: str, field: str) -> None:
    response = await sim.http.post(path, content=content, headers={"content-type": "application/json"})
    _refusal(response, field)


async def test_the_clock_cannot_be_moved_past_what_it_can_show(sim: Sim) -> None:
    assert (await sim.http.post("/_sim/clock/set", json={"at": "3999-12-31T00:00:00Z"})).status_code == 200
    _refusal(await sim.http.post("/_sim/clock/advance", json={"seconds": 10 * 86400}), "seconds")
    assert (await sim.http.get("/_sim/clock")).json()["now"] == "3999-12-31T00:00:00Z"
