"""Coalescing of repeated status polls: many identical consecutive requests, one counted journal row.

An SDK polls an IN_PROGRESS submission every few hundred milliseconds and gets the same answer each time.
Instead of one row per poll, the journal keeps one row per run of identical polls, with `repeats` (how
many requests it stands for), `at` (the first) and `last_at` (the last).

**Identical**, precisely: an entry joins the run of the previous entry *of the same submission* when
both are inbound GET requests naming that submission (`submission_id`), no entry of that submission
(any method, any status) came between them, and their rows agree in every stored column except the
time (`at`) and the latency (`latency_ms`): kind, method, path and URL (query included), status code,
caller (client id, partner session, session key and the redacted request headers), request and
response headers, response body excerpt and sizes, error and extra. The row keeps the first request's
latency. Requests without a submission, writes, outbound calls and any request that differs in one
column are never coalesced.

Runs live in one instance's memory only: an instance extends a row only it wrote, and only while that
row is still the newest row of its submission in the table (the store checks that in the same UPDATE),
so requests that reached another instance in between, or an evicted row, start a new row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.bounded import MB, BoundedCache

Row = tuple[Any, ...]
# Positions in a row (the order of `journal_rows.COLUMNS`).
AT, DIRECTION, METHOD, LATENCY, SUBMISSION, REPEATS, LAST_AT = 0, 1, 3, 7, 11, 20, 21
# Submissions whose run is remembered, by count and bytes (a run holds one row's excerpts): the oldest is
# forgotten first, and its next poll starts a new row.
RUN_BOUNDS = (4_096, 8 * MB)


def same_request(a: Row, b: Row) -> bool:
    """Whether two rows agree in every column but time, latency and the run's own counters."""
    return a[AT + 1 : LATENCY] == b[AT + 1 : LATENCY] and a[LATENCY + 1 : REPEATS] == b[LATENCY + 1 : REPEATS]


def coalescable(row: Row) -> bool:
    """Whether a row may start or join a run: an inbound GET naming a submission."""
    return row[DIRECTION] == "inbound" and row[METHOD] == "GET" and row[SUBMISSION] is not None


@dataclass(slots=True)
class Run:
    """The newest row of one submission as this instance wrote it (or is about to write it).

    `index`: the row's place in the batch being prepared, else None; `row_id`: its id once stored;
    `added`/`added_first`/`last_at`: requests that joined it since it was stored (the pending update).
    """

    template: Row
    index: int | None
    row_id: int | None = None
    stored_at: float = 0.0  # the stored row's `at`: with its id, names the row (ids can be reused after a reset)
    repeats: int = 1
    last_at: float | None = None
    added: int = 0
    added_first: float = 0.0


@dataclass(frozen=True, slots=True)
class Merge:
    """Requests to add to the stored row `row_id` (whose `at` is `at`): `repeats` more, the last at
    `last_at` (Unix seconds), `total` in all once merged. `run` names the run (its key in the batch's
    `touched`); `fallback` is the row to insert instead when the stored row is no longer the newest of
    its submission (another instance wrote one since, or it was evicted).
    """

    run: int
    row_id: int
    at: float
    submission_id: str
    repeats: int
    last_at: float
    total: int
    fallback: Row


class Coalescer:
    """Splits a stream of rows into new rows and merges into stored ones (module docstring)."""

    def __init__(self, bounds: tuple[int, int] = RUN_BOUNDS) -> None:
        self._runs: BoundedCache[str, Run] = BoundedCache.of(bounds)
        self.coalesced = 0

    def add(self, row: Row, batch: list[Row], touched: dict[int, Run]) -> None:
        """Append `row` to `batch`, or count it into the run it repeats; runs changed go to `touched`."""
        submission = row[SUBMISSION]
        if submission is None:
            batch.append(row)
            return
        run = self._runs.get(submission)
        if run is not None and coalescable(row) and same_request(run.template, row):
            run.repeats += 1
            run.last_at = row[AT]
            if run.index is None:
                if run.added == 0:
                    run.added_first = row[AT]
                run.added += 1
            touched[id(run)] = run
            self.coalesced += 1
            return
        self._runs.pop(submission, None)
        if coalescable(row):
            self._runs[submission] = run = Run(row, len(batch))  # re-inserted last: ordered by use
            touched[id(run)] = run
        batch.append(row)

    def prepare(self, batch: list[Row], touched: dict[int, Run]) -> list[Merge]:
        """Put the run counters into the batch's new rows; the merges into stored rows, to do first."""
        merges: list[Merge] = []
        for key, run in touched.items():
            if run.index is not None:
                if run.repeats > 1:
                    batch[run.index] = (*batch[run.index][:REPEATS], run.repeats, run.last_at)
            elif run.added and run.row_id is not None and run.last_at is not None:
                fallback = (run.added_first, *run.template[AT + 1 : REPEATS], run.added, run.last_at)
                merges.append(
                    Merge(
                        key,
                        run.row_id,
                        run.stored_at,
                        run.template[SUBMISSION],
                        run.added,
                        run.last_at,
                        run.repeats,
                        fallback,
                    )
                )
        return merges

    def written(self, touched: dict[int, Run], ids: list[int], fallbacks: dict[int, int]) -> None:
        """Record where the batch went: `ids` of the batch's rows in order, and for each merge that
        failed (by `Merge.run`) the id of the row inserted instead."""
        for key, run in touched.items():
            if run.index is not None:
                run.row_id = ids[run.index]
                run.stored_at = run.template[AT]
                run.index = None
            elif key in fallbacks:
                run.row_id = fallbacks[key]
                run.stored_at = run.added_first
                run.repeats = run.added
            run.added = 0

    def forget(self) -> None:
        """Forget every run (a batch could not be written: its rows may not exist)."""
        self._runs.clear()
