"""The retry budget of a failing job: exponential backoff on the simulator clock, then the terminal `failed`.

A job whose handler raises is run again after `base_seconds`, then twice that, and so on (capped at
`max_delay_seconds`), until it has failed `max_attempts` times; then it is `failed` for good, keeps its
last error, and its kind's give-up handler settles what it was for (a submission ends `ERROR`, a callback
`given_up`). With the defaults: runs at t, t+1 s, t+3 s, t+7 s, t+15 s, then `failed`.

Only failed runs count (`jobs.attempts`): a job that runs fine and reschedules itself (a callback retry
on the partner's schedule, a completion waiting for its reference image) does not spend its budget.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.settings import Settings


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how soon a failing job runs again: `max_attempts` runs in all, the n-th retry
    `base_seconds * factor**(n-1)` seconds (simulator clock) after the failure, at most `max_delay_seconds`."""

    max_attempts: int = 5
    base_seconds: float = 1.0
    factor: float = 2.0
    max_delay_seconds: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            max_attempts=settings.job_max_attempts,
            base_seconds=settings.job_retry_base_seconds,
            max_delay_seconds=settings.job_retry_max_seconds,
        )

    def delay_after(self, failures: int) -> float | None:
        """Seconds until the next run of a job that has now failed `failures` times (>= 1), or None
        when its budget is spent and it must be marked `failed`."""
        if failures >= self.max_attempts:
            return None
        return min(self.max_delay_seconds, self.base_seconds * self.factor ** (max(failures, 1) - 1))


def describe_failure(exc: BaseException, limit: int = 500) -> str:
    """The `last_error` kept for a failed run: the exception type and message, cut at `limit` characters."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
