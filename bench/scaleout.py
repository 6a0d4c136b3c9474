"""Scale-out: paced flows/s of two simulator instances on one PostgreSQL database against one instance, one run.

The PostgreSQL server is the one `BENCH_POSTGRES_URL` (or the test suite's `ONEKYC_SIM_TEST_POSTGRES_URL`)
names — its user may CREATE DATABASE — else a throwaway cluster started like the test suite's
(simulator/testing_postgres.py: initdb in a temporary directory, 127.0.0.1, a free port). Without either,
the phase is skipped and says why. Each side gets a fresh database; the same number of paced users drive
it (split evenly over the two instances), with a warm-up first, then the measured window at the same time
on both instances; a flow counts when its verdict comes within the window (as in the flow phase).
Callbacks go to a local receiver.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from bench.callbacks import CallbackSink
from bench.flows import WARMUPS_MAX, Pacing, paced, partners_file
from bench.servers import cpu_seconds, ensure_alive, start_simulator
from bench.wrk import LoadResult
from simulator.client import sample_jpeg
from simulator.testing_server import ChildSimulator

URL_VARIABLES = ("BENCH_POSTGRES_URL", "ONEKYC_SIM_TEST_POSTGRES_URL")


@contextlib.contextmanager
def postgres_server() -> Iterator[tuple[str | None, str]]:
    """(a server URL whose user may create databases, or None, and where it comes from / why there is none)."""
    for variable in URL_VARIABLES:
        if os.environ.get(variable):
            yield os.environ[variable], f"the server of {variable}"
            return
    from simulator.testing_postgres import server_binaries, throwaway_cluster

    if server_binaries() is None:
        yield None, "PostgreSQL is not installed (apt-get install postgresql, or set BENCH_POSTGRES_URL)"
        return
    with throwaway_cluster() as cluster:
        yield cluster.url("postgres"), "a throwaway cluster (fsync off)"


def _verdicts_between(database_url: str, since: float, until: float) -> int:
    """Submissions whose verdict came in [since, until) on the PostgreSQL database (server timestamps)."""
    import asyncpg  # the postgres extra

    async def count() -> int:
        url = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        conn = await asyncpg.connect(url)
        try:
            query = "SELECT COUNT(*) FROM submissions WHERE completed_at >= $1 AND completed_at < $2"
            return int(await conn.fetchval(query, since, until))
        finally:
            await conn.close()

    return asyncio.run(count())


def _side(
    server_url: str, work: Path, logs: Path, pacing: Pacing, instances: int, sink: CallbackSink
) -> dict[str, Any]:
    from simulator.testing_postgres import create_database

    database = create_database(server_url, f"bench_{instances}_{uuid.uuid4().hex[:8]}")
    config = partners_file(work / f"partners-{instances}.yaml", sink.url)
    selfie = work / "selfie.jpg"
    selfie.write_bytes(sample_jpeg())
    sims: list[ChildSimulator] = []
    names = [f"simulator-pg{instances}-{i}" for i in range(instances)]
    users = Pacing(users=max(1, pacing.users // instances), poll_ms=pacing.poll_ms, seconds=pacing.seconds)
    try:
        for name in names:
            args = ("--processing-delay-seconds", "0", "--config", str(config))
            sim, _ready = start_simulator(logs, name, database, *args)
            sims.append(sim)

        def drive(seconds: float, tag: str) -> list[LoadResult]:
            with ThreadPoolExecutor(instances) as pool:
                runs = [
                    pool.submit(paced, sim.base_url, users, seconds, selfie, f"{tag}{instances}x{i}")
                    for i, sim in enumerate(sims)
                ]
                return [run.result() for run in runs]

        for attempt in range(WARMUPS_MAX):
            drive(pacing.warmup, f"scale-warm{attempt}")
            if _verdicts_between(database, 0, time.time()) >= pacing.users // 4:
                break
        before, since = [cpu_seconds(sim.process.pid) for sim in sims], time.time()
        results = drive(pacing.seconds, "scale")
        cpu = sum(cpu_seconds(sim.process.pid) - b for sim, b in zip(sims, before, strict=True))
        flows = _verdicts_between(database, since, time.time())
        for sim, name in zip(sims, names, strict=True):
            ensure_alive(sim.process, logs / f"{name}.log")
    finally:
        for sim in sims:
            sim.stop()
    seconds = max(r.seconds for r in results)
    return {
        "instances": instances,
        "flowsPerSecond": flows / seconds if seconds else 0.0,
        "cpuMsPerFlow": cpu * 1000 / flows if flows else None,
        "errors": sum(r.errors for r in results),
        "p99Ms": max(r.p99_ms for r in results),
    }


def run(work: Path, logs: Path, pacing: Pacing) -> dict[str, Any]:
    """One instance, then two on one database, under the same paced load; `skipped` says why when skipped."""
    with postgres_server() as (server_url, source):
        if server_url is None:
            return {"skipped": source}
        with CallbackSink() as sink:
            one = _side(server_url, work, logs, pacing, 1, sink)
            two = _side(server_url, work, logs, pacing, 2, sink)
    ratio = two["flowsPerSecond"] / one["flowsPerSecond"] if one["flowsPerSecond"] else None
    return {"server": source, "one": one, "two": two, "ratio": ratio}
