"""Two instances in one process on one database: each sees the other's commits within a second.

On SQLite through `PRAGMA data_version`; on PostgreSQL through LISTEN/NOTIFY, and through the
bounded-staleness fallback while an instance's listener connection is down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from conftest import Sim, SimFactory

from simulator.partners import SAMPLE_CLIENT_ID
from simulator.settings import Settings

pytestmark = pytest.mark.anyio


async def _within_a_second(check: Callable[[], Awaitable[bool]]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 1.0
    while not await check():
        assert loop.time() < deadline, "the other instance's change was not seen within 1 s"
        await asyncio.sleep(0.02)


async def test_two_instances_on_one_sqlite_file_see_each_other_s_changes(
    sim_factory: SimFactory, settings: Settings
) -> None:
    shared = settings.model_copy(update={"job_lease_seconds": 0.6, "sync_interval_seconds": 0.1})
    a: Sim = await sim_factory(shared)
    b: Sim = await sim_factory(shared)
    url = f"/_sim/partners/{SAMPLE_CLIENT_ID}"
    patched = await a.http.patch(f"{url}/callback", json={"url": "http://127.0.0.1:9/from-a"})
    assert patched.status_code == 200

    async def b_has_the_callback() -> bool:
        return bool((await b.http.get(url)).json()["callback"]["url"] == "http://127.0.0.1:9/from-a")

    await _within_a_second(b_has_the_callback)

    vendor_a, vendor_b = a.vendor(), b.vendor()
    sdk = await vendor_a.launch("shared-file")
    submission_id = await vendor_a.capture(sdk)
    assert (await vendor_b.status(sdk, submission_id)).json()["data"]["status"] == "IN_PROGRESS"  # B caches it
    await a.advance(5)

    async def b_sees_the_verdict() -> bool:
        return bool((await vendor_b.status(sdk, submission_id)).json()["data"]["status"] == "COMPLETED")

    await _within_a_second(b_sees_the_verdict)


@pytest.mark.postgres
async def test_an_instance_whose_listener_died_still_sees_changes_within_a_second(
    sim_factory: SimFactory, settings: Settings, postgres_url: str
) -> None:
    on_postgres = settings.model_copy(update={"database": postgres_url, "sync_interval_seconds": 0.1})
    a: Sim = await sim_factory(on_postgres)
    b: Sim = await sim_factory(on_postgres)
    coherence = b.services.coherence
    assert coherence is not None
    assert coherence.listening
    coherence._listener.terminate()  # the connection drops, as when the server restarts or the network fails
    url = f"/_sim/partners/{SAMPLE_CLIENT_ID}"
    assert (await a.http.patch(f"{url}/callback", json={"url": "http://127.0.0.1:9/late"})).status_code == 200

    async def b_has_the_callback() -> bool:
        return bool((await b.http.get(url)).json()["callback"]["url"] == "http://127.0.0.1:9/late")

    await _within_a_second(b_has_the_callback)


@pytest.mark.postgres
async def test_partners_registered_at_once_on_two_instances_all_count_as_runtime_changes(
    sim_factory: SimFactory, settings: Settings, postgres_url: str
) -> None:
    on_postgres = settings.model_copy(update={"database": postgres_url})
    a: Sim = await sim_factory(on_postgres)
    b: Sim = await sim_factory(on_postgres)
    names = [f"partner-{i}" for i in range(12)]
    answers = await asyncio.gather(
        *(
            (a if i % 2 else b).http.put(f"/_sim/partners/{name}", json={"pass_key": "x"})
            for i, name in enumerate(names)
        )
    )
    assert [r.status_code for r in answers] == [201] * len(names)
    runtime = await a.services.repo.get_meta("partners.runtime")
    assert set(names) <= set(runtime)
