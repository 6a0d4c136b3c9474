"""Racing requests on one session through the real server (uvicorn, real sockets): the state machine holds.

Many identical requests are fired at once with asyncio.gather: exactly one confirm wins, presigns never
open more submissions than the attempts allow, polls that complete a submission complete it once, and
every submission's transition rows are exactly INITIATED -> IN_PROGRESS -> its verdict.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from simulator.client import SdkSession, VendorClient, sample_jpeg
from simulator.settings import Settings
from simulator.testing_server import simulator_in_thread

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

RACERS = 24
POLL_SCENARIO = """\
name: race-polls
description: The verdict comes with the third status poll.
attempts:
  - outcome: PASS
    after_polls: 3
"""


class Racer:
    def __init__(self, http: httpx.AsyncClient, database: Path) -> None:
        self.http = http
        self.vendor = VendorClient(http)
        self.database = database

    async def advance(self, seconds: float) -> None:
        (await self.http.post("/_sim/clock/advance", json={"seconds": seconds})).raise_for_status()

    def transitions(self, partner_session_id: str) -> dict[str, list[tuple[str | None, str]]]:
        with sqlite3.connect(self.database) as db:
            rows = db.execute(
                "SELECT t.submission_id, t.from_status, t.to_status FROM transitions t "
                "JOIN submissions s ON s.id = t.submission_id WHERE s.partner_session_id = ? ORDER BY t.id",
                (partner_session_id,),
            ).fetchall()
        found: dict[str, list[tuple[str | None, str]]] = {}
        for submission_id, source, target in rows:
            found.setdefault(submission_id, []).append((source, target))
        return found

    def submissions(self, partner_session_id: str) -> list[tuple[int, str]]:
        with sqlite3.connect(self.database) as db:
            query = "SELECT attempt, status FROM submissions WHERE partner_session_id = ? ORDER BY attempt"
            return [(int(a), str(s)) for a, s in db.execute(query, (partner_session_id,))]


@pytest.fixture
async def racer(tmp_path: Path) -> AsyncIterator[Racer]:
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "race-polls.yaml").write_text(POLL_SCENARIO)
    database = tmp_path / "race.db"
    settings = Settings(
        database=str(database), frozen_clock=True, log_level="WARNING", scenario_dirs=[scenarios], max_attempts=3
    )
    with simulator_in_thread(settings) as running:
        limits = httpx.Limits(max_connections=RACERS, max_keepalive_connections=RACERS)
        async with httpx.AsyncClient(base_url=running.base_url, limits=limits, timeout=30) as http:
            yield Racer(http, database)


def _lifecycle(terminal: str) -> list[tuple[str | None, str]]:
    return [(None, "INITIATED"), ("INITIATED", "IN_PROGRESS"), ("IN_PROGRESS", terminal)]


async def _uploaded(racer: Racer, sdk: SdkSession) -> str:
    data = (await racer.vendor.presign(sdk)).json()["data"]
    uploaded = await racer.vendor.upload(data["documents"]["SELFIE"]["documentUrl"], sample_jpeg())
    assert uploaded.status_code == 200
    return str(data["submissionId"])


async def test_exactly_one_of_many_racing_confirms_wins(racer: Racer) -> None:
    sdk = await racer.vendor.launch("race-confirm")
    submission_id = await _uploaded(racer, sdk)
    answers = await asyncio.gather(*(racer.vendor.confirm(sdk, submission_id) for _ in range(RACERS)))
    assert Counter(a.status_code for a in answers) == {200: 1, 409: RACERS - 1}
    assert {a.json()["errors"][0]["cause"] for a in answers if a.status_code == 409} == {"SUBMISSION_STATE_CONFLICT"}
    await racer.advance(5)
    assert racer.transitions("race-confirm") == {submission_id: _lifecycle("COMPLETED")}


async def test_racing_presigns_never_open_more_submissions_than_the_attempts(racer: Racer) -> None:
    sdk = await racer.vendor.launch("race-presign", user_id="SIM_SPOOF-race")
    for attempt in (1, 2, 3):
        answers = await asyncio.gather(*(racer.vendor.presign(sdk) for _ in range(RACERS)))
        assert {a.status_code for a in answers} == {200}
        assert len({a.json()["data"]["submissionId"] for a in answers}) == 1
        submission_id = answers[0].json()["data"]["submissionId"]
        await racer.vendor.upload(answers[0].json()["data"]["documents"]["SELFIE"]["documentUrl"], sample_jpeg())
        confirms = await asyncio.gather(*(racer.vendor.confirm(sdk, submission_id) for _ in range(4)))
        assert sorted(c.status_code for c in confirms) == [200, 409, 409, 409]
        await racer.advance(5)
        assert racer.submissions("race-presign")[-1] == (attempt, "COMPLETED")
    exhausted = await asyncio.gather(*(racer.vendor.presign(sdk) for _ in range(RACERS)))
    assert {a.status_code for a in exhausted} == {429}
    assert racer.submissions("race-presign") == [(1, "COMPLETED"), (2, "COMPLETED"), (3, "COMPLETED")]
    lifecycles = racer.transitions("race-presign")
    assert len(lifecycles) == 3
    assert all(rows == _lifecycle("COMPLETED") for rows in lifecycles.values())


async def test_racing_polls_complete_a_poll_driven_submission_once(racer: Racer) -> None:
    (await racer.http.put("/_sim/bindings/race-polls", json={"scenario": "race-polls"})).raise_for_status()
    sdk = await racer.vendor.launch("race-polls")
    submission_id = await _uploaded(racer, sdk)
    assert (await racer.vendor.confirm(sdk, submission_id)).status_code == 200
    answers = await asyncio.gather(*(racer.vendor.status(sdk, submission_id) for _ in range(RACERS)))
    assert {a.status_code for a in answers} == {200}
    statuses = Counter(a.json()["data"]["status"] for a in answers)
    assert set(statuses) <= {"IN_PROGRESS", "COMPLETED"}
    assert statuses["COMPLETED"] >= 1
    final = (await racer.vendor.status(sdk, submission_id)).json()["data"]
    assert (final["status"], final["nextAction"]) == ("COMPLETED", "EXIT")
    assert racer.transitions("race-polls") == {submission_id: _lifecycle("COMPLETED")}


async def test_racing_uploads_and_confirm_leave_one_consistent_submission(racer: Racer) -> None:
    sdk = await racer.vendor.launch("race-upload")
    data = (await racer.vendor.presign(sdk)).json()["data"]
    url, submission_id = data["documents"]["SELFIE"]["documentUrl"], data["submissionId"]
    assert (await racer.vendor.upload(url, sample_jpeg())).status_code == 200
    uploads = [racer.vendor.upload(url, sample_jpeg((i, i, i))) for i in range(RACERS // 2)]
    confirms = [racer.vendor.confirm(sdk, submission_id) for _ in range(RACERS // 2)]
    answers = await asyncio.gather(*uploads, *confirms)
    upload_codes = Counter(a.status_code for a in answers[: RACERS // 2])
    confirm_codes = Counter(a.status_code for a in answers[RACERS // 2 :])
    assert set(upload_codes) <= {200, 409}
    assert confirm_codes == {200: 1, 409: RACERS // 2 - 1}
    await racer.advance(5)
    assert racer.submissions("race-upload") == [(1, "COMPLETED")]
    assert racer.transitions("race-upload") == {submission_id: _lifecycle("COMPLETED")}
