"""The durable scheduler: runs due jobs from the job table, woken early by the clock and by new jobs.

Jobs live in the database, shared by every instance on it. Each pass claims due jobs under a lease
(`simulator.store.job_queue`): a job runs on one instance at a time, and a job whose owner died (its lease
lapsed, no heartbeat) is claimed by whichever instance looks next, without any restart. Nothing is
requeued at start: a job a live instance holds stays its. Handlers are idempotent: a job that ran but
was not marked done before a crash runs again and finds its work already done. A handler that raises
spends the job's retry budget (`simulator.jobs.retry`): it runs again after a backoff on the simulator
clock, and once the budget is spent the job is `failed` and its kind's give-up handler settles what it
was for. Other instances' new jobs and clock changes wake this one (`simulator.services.coherence`);
the interval is the fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from simulator.clock import ControllableClock
from simulator.jobs.retry import RetryPolicy, describe_failure
from simulator.store.records import JobRecord
from simulator.store.repository import Repository
from simulator.store.write_queue import urgent

log = logging.getLogger("simulator.scheduler")

JobHandler = Callable[[JobRecord], Awaitable[None]]
GiveUpHandler = Callable[[JobRecord, str], Awaitable[None]]
SETTLE_POLL_SECONDS = 0.05


class JobsChanged(Protocol):
    async def wait_jobs_changed(self, within: float) -> None: ...


class Scheduler:
    def __init__(
        self,
        repo: Repository,
        clock: ControllableClock,
        handlers: dict[str, JobHandler],
        interval: float,
        concurrency: int = 16,
        lease: float = 15.0,
        retry: RetryPolicy | None = None,
        give_up: dict[str, GiveUpHandler] | None = None,
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._handlers = handlers
        self._retry = retry or RetryPolicy()
        self._give_up = give_up or {}
        self._interval = interval
        self._lease = lease
        self._wake = asyncio.Event()
        self._hinted = False
        self._concurrency = concurrency
        self._stopping = False
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self.jobs_run = 0
        self.jobs_failed = 0
        clock.on_change(self.wake)

    def wake(self) -> None:
        """Look at the job table now (a job was added or finished, or the clock moved)."""
        self._hinted = True
        self._wake.set()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="onekyc-scheduler")

    async def stop(self) -> None:
        """Stop; jobs cut short go back to pending at once, for the other instances (or the next start)."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        running = list(self._inflight.values())
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._repo.release_jobs(self._clock.now())

    async def run_due(self) -> int:
        """Claim and run every job due now (and those they make due now) and wait for them; how many ran.

        Jobs run concurrently, up to the concurrency limit, so one slow partner endpoint does not hold
        up other deliveries; each job is claimed under a lease, so no job runs twice at once.
        """
        ran = 0
        while True:
            free = self._concurrency - len(self._inflight)
            if free > 0:
                self._wake.clear()
                look_first, self._hinted = not self._hinted, False
                with urgent():
                    claimed = await self._repo.claim_due(
                        self._clock.now(), self._clock.wall(), self._lease, free, look_first=look_first
                    )
                    for job in claimed:
                        self._inflight[job.id] = asyncio.create_task(self._run(job), name=f"job-{job.kind}-{job.id}")
                        ran += 1
            if not self._inflight:
                return ran
            # Look again when a job ends, after an interval, or (with a slot free) when a job is added or
            # the clock moves: a job due now does not wait for the jobs in flight.
            waits: list[asyncio.Future[Any]] = list(self._inflight.values())
            woken = asyncio.ensure_future(self._wake.wait()) if len(waits) < self._concurrency else None
            try:
                await asyncio.wait(
                    [*waits, woken] if woken else waits, timeout=self._interval, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                if woken is not None:
                    woken.cancel()

    async def settle(self, others: JobsChanged | None, within: float) -> None:
        """Run what is due, then wait until no job due by now is unfinished on any instance (or `within` s).

        A job another instance runs, or one a dead instance held until its lease lapses, counts too.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        await self.run_due()
        while loop.time() < deadline and await self._repo.unfinished_due(self._clock.now()):
            if others is not None:
                await others.wait_jobs_changed(SETTLE_POLL_SECONDS)
            else:
                await asyncio.sleep(SETTLE_POLL_SECONDS)
            await self.run_due()

    async def _run(self, job: JobRecord) -> None:
        try:
            now = self._clock.now()
            handler = self._handlers.get(job.kind)
            if handler is None:
                await self._repo.finish_job(job.id, now, state="failed", error=f"no handler for {job.kind!r}")
                return
            try:
                await handler(job)
                self.jobs_run += 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("job failed", extra={"job": job.id, "kind": job.kind, "ref": job.ref})
                await self._failed(job, describe_failure(exc))
        finally:
            self._inflight.pop(job.id, None)

    async def _failed(self, job: JobRecord, error: str) -> None:
        """Retry after the policy's backoff, or, with the budget spent, give up and mark the job `failed`."""
        failures = job.attempts + 1
        now = self._clock.now()
        delay = self._retry.delay_after(failures)
        if delay is not None:
            await self._repo.retry_job(job.id, now + delay, now, error)
            return
        give_up = self._give_up.get(job.kind)
        if give_up is not None:
            try:
                await give_up(job, error)
            except Exception:
                log.exception("giving up a failed job failed", extra={"job": job.id, "kind": job.kind})
        await self._repo.fail_job(job.id, self._clock.now(), failures, error)
        self.jobs_failed += 1
        self.wake()

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self.run_due()
                timeout = self._interval
                next_due = await self._repo.next_due_at()
                if next_due is not None and not self._clock.frozen:
                    timeout = max(0.0, min(timeout, next_due - self._clock.now()))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler pass failed")
                timeout = self._interval
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation (gh-86296).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
