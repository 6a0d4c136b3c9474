"""Jobs due now do not wait behind request traffic: the write queue serves the scheduler's writes first
(alternating with requests, so neither starves), and a job added while others run starts at once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event

from simulator.jobs.scheduler import Scheduler
from simulator.runtime import open_services
from simulator.services.context import Services
from simulator.settings import Settings
from simulator.store.job_queue import add_job
from simulator.store.records import JobRecord
from simulator.store.write_queue import WriteQueue, is_urgent, urgent

pytestmark = pytest.mark.anyio

WITHIN = 10.0  # seconds a test waits for an event before failing (never a sleep)


async def _until(condition: Callable[[], bool]) -> None:
    """Yield to the loop until `condition` holds (no timed sleep), failing after WITHIN seconds."""
    async with asyncio.timeout(WITHIN):
        while not condition():  # noqa: ASYNC110  (a bare yield to the tasks being watched, not a timed wait)
            await asyncio.sleep(0)


class _Order:
    """Tasks that take a write queue and note, in order, who got it."""

    def __init__(self, queue: WriteQueue) -> None:
        self.queue = queue
        self.got: list[str] = []
        self.tasks: list[asyncio.Task[None]] = []

    def want(self, name: str, *, is_urgent: bool = False) -> None:
        async def take() -> None:
            with urgent() if is_urgent else contextlib.nullcontext():
                async with self.queue:
                    self.got.append(name)

        self.tasks.append(asyncio.create_task(take()))

    async def done(self) -> list[str]:
        await asyncio.gather(*self.tasks)
        return self.got


async def test_an_urgent_waiter_goes_before_ordinary_ones_that_came_first() -> None:
    queue = WriteQueue()
    order = _Order(queue)
    await queue.acquire()
    for n in range(3):
        order.want(f"request-{n}")
    await _until(lambda: queue.waiting() == (0, 3))
    order.want("job", is_urgent=True)
    await _until(lambda: queue.waiting() == (1, 3))
    queue.release()
    assert await order.done() == ["job", "request-0", "request-1", "request-2"]
    assert not queue.locked()


async def test_urgent_and_ordinary_waiters_alternate_so_requests_are_never_starved() -> None:
    queue = WriteQueue()
    order = _Order(queue)
    await queue.acquire()
    for n in range(3):
        order.want(f"request-{n}")
    for n in range(3):
        order.want(f"job-{n}", is_urgent=True)
    await _until(lambda: queue.waiting() == (3, 3))
    queue.release()
    assert await order.done() == ["job-0", "request-0", "job-1", "request-1", "job-2", "request-2"]


async def test_a_waiter_cancelled_while_waiting_or_once_handed_the_lock_passes_it_on() -> None:
    queue = WriteQueue()
    order = _Order(queue)
    await queue.acquire()
    order.want("gone")
    order.want("handed-then-cancelled")
    order.want("last")
    await _until(lambda: queue.waiting() == (0, 3))
    order.tasks[0].cancel()
    await _until(lambda: queue.waiting() == (0, 2))
    queue.release()  # hands the lock to the second waiter, which is cancelled before it runs
    order.tasks[1].cancel()
    results = await asyncio.gather(*order.tasks, return_exceptions=True)
    assert [type(r).__name__ for r in results] == ["CancelledError", "CancelledError", "NoneType"]
    assert order.got == ["last"]
    assert not queue.locked()
    assert not is_urgent()


async def _hold_writes(svc: Services) -> tuple[asyncio.Event, asyncio.Task[None]]:
    """A write transaction that stays open until the returned event is set."""
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with svc.repo.write():
            holding.set()
            await release.wait()

    task = asyncio.create_task(hold())
    await asyncio.wait_for(holding.wait(), WITHIN)
    return release, task


@pytest.mark.both_databases
async def test_a_jobs_write_is_served_before_request_writes_queued_earlier(settings: Settings) -> None:
    async with open_services(settings, start_scheduler=False) as svc:
        done: list[str] = []

        async def write(name: str) -> None:
            async with svc.repo.write() as conn:
                await add_job(conn, "noop", name, svc.clock.now(), svc.clock.now())
            done.append(name)

        release, holder = await _hold_writes(svc)
        try:
            queue = svc.repo._write_lock  # the queue every write of the repository takes
            assert isinstance(queue, WriteQueue)
            requests = [asyncio.create_task(write(f"request-{n}")) for n in range(3)]
            await _until(lambda: queue.waiting() == (0, 3))
            with urgent():
                job = asyncio.create_task(write("job"))
            await _until(lambda: queue.waiting() == (1, 3))
        finally:
            release.set()
        await asyncio.gather(holder, job, *requests)
        assert done[0] == "job"
        assert sorted(done[1:]) == ["request-0", "request-1", "request-2"]


@pytest.mark.both_databases
async def test_a_job_added_while_another_runs_starts_at_once(settings: Settings) -> None:
    """The scheduler looks again when woken, not only when a running job ends or its interval passes."""
    async with open_services(settings, start_scheduler=False) as svc:
        slow_started, release, quick_ran = asyncio.Event(), asyncio.Event(), asyncio.Event()
        urgent_inside: list[bool] = []

        Wait = Callable[[], Awaitable[object]]

        def handler(started: asyncio.Event, wait: Wait | None) -> Callable[[JobRecord], Awaitable[None]]:
            async def run(job: JobRecord) -> None:
                urgent_inside.append(is_urgent())
                started.set()
                if wait is not None:
                    await wait()
                await svc.repo.finish_job(job.id, svc.clock.now())

            return run

        scheduler = Scheduler(
            svc.repo,
            svc.clock,
            {"slow": handler(slow_started, release.wait), "quick": handler(quick_ran, None)},
            interval=3600.0,
        )

        async def add(kind: str) -> None:
            async with svc.repo.write() as conn:
                await add_job(conn, kind, kind, svc.clock.now(), svc.clock.now())
            scheduler.wake()

        await scheduler.start()
        try:
            await add("slow")
            await asyncio.wait_for(slow_started.wait(), WITHIN)
            await add("quick")
            await asyncio.wait_for(quick_ran.wait(), WITHIN)
            assert not release.is_set()
            release.set()
            await _until(lambda: scheduler.jobs_run == 2)
        finally:
            release.set()
            await scheduler.stop()
        assert urgent_inside == [True, True]
        assert await svc.repo.pending_jobs() == 0


@contextlib.contextmanager
def _statements(svc: Services) -> Iterator[list[str]]:
    """Every SQL statement the repository's engine runs inside the block, in order."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    engine = svc.repo.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


@pytest.mark.both_databases
async def test_a_claim_after_a_job_was_added_is_one_statement(settings: Settings) -> None:
    async with open_services(settings, start_scheduler=False) as svc:
        now = svc.clock.now()
        async with svc.repo.write() as conn:
            await add_job(conn, "noop", "one", now, now)
        with _statements(svc) as seen:
            [job] = await svc.repo.claim_due(now, svc.clock.wall(), 15.0, 4, look_first=False)
        assert job.ref == "one"
        assert [s.split()[0] for s in seen if "jobs" in s] == ["UPDATE"]
        with _statements(svc) as seen:
            assert await svc.repo.claim_due(now, svc.clock.wall(), 15.0, 4) == []
        assert [s.split()[0] for s in seen if "jobs" in s] == ["SELECT"]
