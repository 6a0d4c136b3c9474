"""The journal's buffer is bounded by bytes as well as by count; the faults read their paths from the routes."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Sim

from simulator.domain.faults import Endpoint
from simulator.gateway.fault_injection import endpoint_of, fault_table
from simulator.gateway.iab import routes as iab_routes
from simulator.services.journal.buffer import Journal, JournalEntry
from simulator.settings import Settings

pytestmark = pytest.mark.anyio


def _entry(n: int, body_bytes: int) -> JournalEntry:
    return JournalEntry(
        "outbound", "callback", float(n), "POST", f"http://p/{n}", 200, 1.0, request_body="x" * body_bytes
    )


def test_the_buffer_drops_the_oldest_past_its_byte_bound() -> None:
    journal = Journal(1000, max_bytes=20_000)
    for n in range(100):  # 100 entries of ~1.3 KB: the count bound (1000) never bites, the byte bound does
        journal.record(_entry(n, 1000))
        assert journal.pending_bytes <= 20_000
    assert journal.pending < 20
    assert journal.dropped == 100 - journal.pending
    assert journal.recorded == 100


def test_one_entry_larger_than_the_byte_bound_is_dropped_not_kept() -> None:
    journal = Journal(10, max_bytes=1000)
    journal.record(_entry(0, 5000))
    assert (journal.pending, journal.pending_bytes, journal.dropped) == (0, 0, 1)


async def test_the_newest_entries_within_the_byte_bound_are_written(sim_factory: Any, tmp_path: Any) -> None:
    sim: Sim = await sim_factory(Settings(database=str(tmp_path / "bytes.db"), journal_max_entries=1000))
    journal = sim.services.journal
    journal.max_bytes = 8000
    for n in range(50):  # no await: the writer task cannot run in between
        journal.record(_entry(n, 1000))
    kept = journal.pending
    assert 0 < kept < 50
    assert await journal.flush() == kept
    stored = (await sim.http.get("/_sim/requests", params={"order": "asc", "limit": 100})).json()["requests"]
    assert [r["path"] for r in stored] == [f"/{n}" for n in range(50 - kept, 50)]
    assert journal.pending_bytes == 0


def test_the_faultable_endpoints_are_the_routes_paths() -> None:
    table = fault_table(iab_routes)
    assert {endpoint for _, _, endpoint in table} == {
        Endpoint.INITIATE,
        Endpoint.PRESIGN,
        Endpoint.CONFIRM,
        Endpoint.STATUS,
        Endpoint.DETAILS,
    }
    found = endpoint_of("GET", "/coe-partner/v1/submissions/sub-1/status", table)
    assert found == (Endpoint.STATUS, {"submission_id": "sub-1"})
    assert endpoint_of("GET", "/coe/v1/submissions/url", table) is None  # not a route (only coe-partner has /url)
    assert endpoint_of("HEAD", "/coe/v1/submissions", table) is None
    assert endpoint_of("PUT", "/storage/STANDALONE_LIVENESS/doc-1") == (
        Endpoint.UPLOAD,
        {"flow": "STANDALONE_LIVENESS", "reference": "doc-1"},
    )
