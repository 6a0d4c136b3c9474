"""Several `onekyc-sim serve` processes on one PostgreSQL database behave as one simulator.

Each bullet of the multi-instance issue has a test here, against real child processes, the real
callback receiver and a fresh PostgreSQL database. Nothing sleeps: a test waits on the receiver, on
an HTTP answer, or on a condition polled with a deadline (`eventually`: the 1 s visibility guarantee).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import select

from simulator.client import VendorClient, sample_jpeg
from simulator.partners import SAMPLE_CLIENT_ID
from simulator.store import tables as t
from simulator.store.db import make_engine
from simulator.store.partner_calls import DELIVER_CALLBACK
from simulator.testing_receiver import Receiver
from simulator.testing_server import ChildSimulator, start_child

pytestmark = [pytest.mark.anyio, pytest.mark.e2e, pytest.mark.postgres]

LEASE = 2.0  # seconds: short, so a dead instance's jobs are taken over quickly
CHILD_ENV = {"ONEKYC_SIM_JOB_LEASE_SECONDS": str(LEASE), "ONEKYC_SIM_SYNC_INTERVAL_SECONDS": "0.2"}
VISIBLE_WITHIN = 1.0  # the guarantee: another instance's committed change is seen within a second
T = TypeVar("T")

Starter = Callable[..., list[ChildSimulator]]


@pytest.fixture
def start_instances(empty_postgres_url: str) -> Iterator[Starter]:
    """Start N instances on one empty database at the same moment (threads); all stopped at the end."""
    started: list[ChildSimulator] = []

    def start(count: int, *extra: str) -> list[ChildSimulator]:
        args = ["--frozen-clock", *extra]
        with concurrent.futures.ThreadPoolExecutor(count) as pool:
            futures = [
                pool.submit(start_child, empty_postgres_url, extra_args=args, env=CHILD_ENV) for _ in range(count)
            ]
            children = [f.result() for f in futures]
        started.extend(children)
        return children

    yield start
    for child in started:
        child.stop()


@pytest.fixture
async def clients() -> AsyncIterator[Callable[[ChildSimulator], httpx.AsyncClient]]:
    async with AsyncExitStack() as stack:

        def open_client(child: ChildSimulator) -> httpx.AsyncClient:
            client = httpx.AsyncClient(base_url=child.base_url, timeout=60)
            stack.push_async_callback(client.aclose)
            return client

        yield open_client


async def eventually(check: Callable[[], Awaitable[T]], within: float = VISIBLE_WITHIN) -> T:
    """The first truthy result of `check`, polled until `within` seconds have passed (then it fails)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = await check()
        if result or loop.time() > deadline:
            assert result, f"not seen within {within} s: {result!r}"
            return result
        await asyncio.sleep(0.02)


async def _start(start_instances: Starter, count: int, *extra: str) -> list[ChildSimulator]:
    return await asyncio.to_thread(start_instances, count, *extra)


async def test_instances_started_together_on_an_empty_database_agree_on_one_signing_key(
    start_instances: Starter, clients: Callable[[ChildSimulator], httpx.AsyncClient]
) -> None:
    children = await _start(start_instances, 3)
    https = [clients(c) for c in children]
    for issuer, http in enumerate(https):
        token = await VendorClient(http).ensure_partner_token()
        for other in https[:issuer] + https[issuer + 1 :]:
            vendor = VendorClient(other)
            vendor.partner_token = token  # the token issued by another instance
            assert (await vendor.initiate(f"key-{issuer}-{id(other)}")).status_code == 200


async def test_a_flow_spread_over_two_instances_behaves_as_one(
    start_instances: Starter, clients: Callable[[ChildSimulator], httpx.AsyncClient]
) -> None:
    a, b = await _start(start_instances, 2)
    http_a, http_b = clients(a), clients(b)
    vendor_a, vendor_b = VendorClient(http_a), VendorClient(http_b)
    async with Receiver() as partner:
        patched = await http_a.patch(
            f"/_sim/partners/{SAMPLE_CLIENT_ID}/callback", json={"url": partner.url_for("/cb")}
        )
        assert patched.status_code == 200

        # initiate on A, upload on B, confirm on A
        sdk = await vendor_a.launch("spread-1")
        presigned = (await vendor_a.presign(sdk)).json()["data"]
        submission_id = presigned["submissionId"]
        assert (
            await vendor_b.upload(presigned["documents"]["SELFIE"]["documentUrl"], sample_jpeg())
        ).status_code == 200
        confirmed = await vendor_a.confirm(sdk, submission_id)
        assert confirmed.status_code == 200, confirmed.text
        assert (await vendor_a.status(sdk, submission_id)).json()["data"]["status"] == "IN_PROGRESS"

        # the upload B served is in the journal A reads (and verify on A counts it)
        async def upload_journaled_on_a() -> bool:
            matcher = {"method": "PUT", "path": "/storage/*", "submissionId": submission_id, "count": 1}
            return bool((await http_a.post("/_sim/verify", json=matcher)).json()["ok"])

        await eventually(upload_journaled_on_a)

        # the clock advanced on B is A's clock; the completion (on either) is what A's polls say
        advanced = await http_b.post("/_sim/clock/advance", json={"seconds": 5})
        assert advanced.status_code == 200
        # it answered once every job due by then had finished, on whichever instance: the callback is in
        assert len(partner.requests) == 1
        assert (await http_a.get("/_sim/clock")).json()["epoch"] == advanced.json()["epoch"]

        async def completed_on_a() -> bool:
            status: str = (await vendor_a.status(sdk, submission_id)).json()["data"]["status"]
            return status == "COMPLETED"

        await eventually(completed_on_a)
        (callback,) = await partner.wait_for(1)
        assert (callback.path, callback.json()["submissionId"]) == ("/cb", submission_id)

        # a token expired on A is refused by B
        assert (await http_a.post("/_sim/tokens/expire", json={"token": sdk.token})).status_code == 200

        async def refused_on_b() -> bool:
            return (await vendor_b.status(sdk, submission_id)).status_code == 401

        await eventually(refused_on_b)

        # a reset on A is seen by B
        assert (await http_a.post("/_sim/reset", json={})).status_code == 200

        async def gone_on_b() -> bool:
            answer = await vendor_b.details(submission_id=submission_id)  # B had it cached
            return answer.status_code == 400 and answer.json()["errors"][0]["cause"] == "SUBMISSION_DOES_NOT_EXIST"

        await eventually(gone_on_b)


async def test_twenty_concurrent_clock_advances_over_two_instances_add_up(
    start_instances: Starter, clients: Callable[[ChildSimulator], httpx.AsyncClient]
) -> None:
    a, b = await _start(start_instances, 2)
    http_a, http_b = clients(a), clients(b)
    start = (await http_a.get("/_sim/clock")).json()["epoch"]
    answers = await asyncio.gather(
        *(http.post("/_sim/clock/advance", json={"seconds": 1}) for http in [http_a, http_b] * 10)
    )
    assert [r.status_code for r in answers] == [200] * 20
    assert (await http_a.get("/_sim/clock")).json()["epoch"] == start + 20

    async def b_agrees() -> bool:
        return bool((await http_b.get("/_sim/clock")).json()["epoch"] == start + 20)

    await eventually(b_agrees)

    frozen = await http_a.post("/_sim/clock/freeze", json={"at": "2030-01-01T00:00:00Z"})
    assert frozen.status_code == 200

    async def b_sees_the_freeze() -> bool:
        return bool((await http_b.get("/_sim/clock")).json()["now"] == "2030-01-01T00:00:00Z")

    await eventually(b_sees_the_freeze)


async def test_a_killed_instance_s_deliveries_are_taken_over_and_a_joining_instance_duplicates_none(
    start_instances: Starter, clients: Callable[[ChildSimulator], httpx.AsyncClient], empty_postgres_url: str
) -> None:
    flows = 3
    (a,) = await _start(start_instances, 1, "--processing-delay-seconds", "0")
    http_a = clients(a)
    async with Receiver() as partner:
        partner.script(*(partner.hold() for _ in range(flows)))  # A's deliveries hang at the partner
        callback = {"url": partner.url_for("/cb"), "timeout_seconds": 300}  # held deliveries stay in flight
        await http_a.patch(f"/_sim/partners/{SAMPLE_CLIENT_ID}/callback", json=callback)
        vendor = VendorClient(http_a)
        for i in range(flows):
            await vendor.capture(await vendor.launch(f"held-{i}"))
        held = await partner.wait_for(flows, within=30)
        submissions = {r.json()["submissionId"] for r in held}
        assert len(submissions) == flows

        # B and C join while A holds the deliveries: they must not take them while A's lease is live
        b, c = await _start(start_instances, 2, "--processing-delay-seconds", "0")
        engine = make_engine(empty_postgres_url)
        try:
            query = select(t.jobs.c.owner, t.jobs.c.lease_until).where(
                t.jobs.c.kind == DELIVER_CALLBACK, t.jobs.c.state == "running"
            )

            async def leases() -> list[Any]:
                async with engine.connect() as conn:
                    return list(await conn.execute(query))

            first = await leases()
            assert len(first) == flows
            renewed_past = max(row.lease_until for row in first)

            async def lease_renewed_by_a() -> bool:
                rows = await leases()
                return len(rows) == flows and min(r.lease_until for r in rows) > renewed_past

            await eventually(lease_renewed_by_a, within=3 * LEASE)  # A's heartbeat, not a takeover
            assert len(partner.requests) == flows
        finally:
            await engine.dispose()

        # kill -9 A: the survivors deliver every held callback once more, within the lease
        a.kill()
        again = await partner.wait_for(2 * flows, within=3 * LEASE + 5)
        redelivered = Counter(r.json()["submissionId"] for r in again[flows:])
        assert redelivered == Counter(dict.fromkeys(submissions, 1))
        assert {r.path for r in again} == {"/cb"}  # the callback URL set on A, used by B and C
        for child in (b, c):
            await clients(child).aclose()


async def test_a_partner_session_id_of_300_characters_is_served(
    start_instances: Starter, clients: Callable[[ChildSimulator], httpx.AsyncClient]
) -> None:
    (a,) = await _start(start_instances, 1)
    vendor = VendorClient(clients(a))
    long_id = "p" * 300
    await vendor.capture(await vendor.launch(long_id))  # raises on any non-2xx answer
    details = await vendor.details(partner_session_id=long_id)
    assert details.status_code == 200, details.text


async def test_a_seeded_instance_refuses_a_database_another_instance_serves(
    start_instances: Starter, empty_postgres_url: str
) -> None:
    await _start(start_instances, 1)
    with pytest.raises(RuntimeError) as refused:
        await asyncio.to_thread(start_child, empty_postgres_url, extra_args=["--seed", "7"], env=CHILD_ENV)
    assert "onekyc-sim: --seed needs the database to itself" in str(refused.value)
