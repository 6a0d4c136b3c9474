"""The durable scheduler: runs due jobs from the job table, woken early by the clock and by new jobs.

Jobs live in the database, so a restart resumes where it stopped. Handlers are idempotent: a job
that ran but was not marked done before a crash runs again and finds its work already done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from simulator.clock import ControllableClock
from simulator.store.records import JobRecord
from simulator.store.repository import Repository

log = logging.getLogger("simulator.scheduler")

JobHandler = Callable[[JobRecord], Awaitable[None]]
FAILED_JOB_RETRY_SECONDS = 5.0


class Scheduler:
    def __init__(
        self,
        repo: Repository,
        clock: ControllableClock,
        handlers: dict[str, JobHandler],
        interval: float,
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._handlers = handlers
        self._interval = interval
        self._wake = asyncio.Event()
        self._run_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.jobs_run = 0
        clock.on_change(self.wake)

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="onekyc-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_due(self) -> int:
        """Run every job due now (and those they make due now); how many ran."""
        ran = 0
        async with self._run_lock:
            while True:
                due = await self._repo.due_jobs(self._clock.now())
                if not due:
                    return ran
                for job in due:
                    await self._run(job)
                    ran += 1

    async def _run(self, job: JobRecord) -> None:
        handler = self._handlers.get(job.kind)
        now = self._clock.now()
        if handler is None:
            await self._repo.finish_job(job.id, now, state="failed", error=f"no handler for {job.kind!r}")
            return
        try:
            await handler(job)
            self.jobs_run += 1
        except Exception as exc:
            log.exception("job failed", extra={"job": job.id, "kind": job.kind, "ref": job.ref})
            await self._repo.retry_job(job.id, now + FAILED_JOB_RETRY_SECONDS, now, repr(exc))

    async def _loop(self) -> None:
        while True:
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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
