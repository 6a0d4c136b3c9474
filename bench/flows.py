"""The paced-flow phase: virtual SDK users against the simulator and the same-flow floor, then RSS over many flows.

Each virtual user is one wrk thread with one connection (bench/lua/paced_flow.lua): its partner token cached,
then Initiate Flow -> presign -> upload -> confirm -> a status poll every `poll_ms` until the next action is
known -> Get Submission Details, again and again. Figures: completed flows/s (and the ratio to the same-flow
floor), the server's CPU seconds per completed flow, confirm -> verdict latency from the server's own
timestamps, completion -> callback receipt, polls per flow, lost callbacks, and the RSS curve.
"""

from __future__ import annotations

import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.callbacks import CallbackSink, percentile
from bench.servers import (
    RssSampler,
    cpu_seconds,
    ensure_alive,
    rss_mb,
    start_same_flow,
    start_simulator,
)
from bench.wrk import LoadResult, run_wrk
from simulator.client import sample_jpeg
from simulator.partners import sample_partner

CHUNK_SECONDS_MAX = 300
WARMUPS_MAX = 3  # warm-ups run until a quarter of the users had a verdict, at most this many


@dataclass(frozen=True)
class Pacing:
    """How the virtual users drive the flow: how many, the poll interval (ms), and the measured window (s)."""

    users: int
    poll_ms: int
    seconds: int

    @property
    def warmup(self) -> int:
        """Seconds of unmeasured flows first: every user past its first flow (their first requests queue)."""
        return max(5, self.seconds // 2)


def partners_file(path: Path, callback_url: str) -> Path:
    """Write the sample partner, its callbacks to `callback_url`, as a partners file at `path`."""
    partner = sample_partner().model_dump(mode="json")
    partner["callback"] = {"url": callback_url, "method": "POST"}
    path.write_text(yaml.safe_dump({"partners": [partner]}))
    return path


def _completed_at(database: Path) -> dict[str, float]:
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT id, completed_at FROM submissions WHERE completed_at IS NOT NULL")
        return {str(submission_id): float(at) for submission_id, at in rows}


def _completed_count(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM submissions WHERE completed_at IS NOT NULL").fetchone()[0])


def _awaiting_verdict(database: Path) -> int:
    """Submissions confirmed whose verdict has not come yet (their callbacks are still to be expected)."""
    with sqlite3.connect(database) as conn:
        query = "SELECT COUNT(*) FROM submissions WHERE confirmed_at IS NOT NULL AND completed_at IS NULL"
        return int(conn.execute(query).fetchone()[0])


def _verdict_latency(database: Path, since: float, until: float) -> dict[str, float | None]:
    """Confirm -> verdict (ms) for submissions confirmed in [since, until), from the server's timestamps
    (read once the verdicts came: a late verdict counts with its whole wait)."""
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT confirmed_at, completed_at FROM submissions"
            " WHERE confirmed_at >= ? AND confirmed_at < ? AND completed_at IS NOT NULL",
            (since, until),
        ).fetchall()
    latencies = [(done - confirmed) * 1000 for confirmed, done in rows]
    return {"p50Ms": percentile(latencies, 50), "p99Ms": percentile(latencies, 99), "count": len(latencies)}


def paced(url: str, pacing: Pacing, seconds: float, selfie: Path, prefix: str) -> LoadResult:
    """`pacing.users` virtual SDK users against `url` for `seconds`; session ids start with `prefix`."""
    return run_wrk(
        url,
        "paced_flow.lua",
        threads=pacing.users,
        connections=pacing.users,
        seconds=seconds,
        args=[str(selfie), str(pacing.poll_ms), prefix],
        timeout_seconds=30,
    )


def _verdicts_between(database: Path, since: float, until: float) -> int:
    """Submissions whose verdict came in [since, until) (server timestamps): the window's completed flows."""
    with sqlite3.connect(database) as conn:
        query = "SELECT COUNT(*) FROM submissions WHERE completed_at >= ? AND completed_at < ?"
        return int(conn.execute(query, (since, until)).fetchone()[0])


def _measured(url: str, pacing: Pacing, selfie: Path, pid: int, database: Path) -> dict[str, Any]:
    """The measured window: wrk's figures, the server's CPU, and completed flows counted by the server.

    A flow counts when its verdict comes within the window. wrk's own count (flows a user saw through to Get
    Submission Details) misses every flow cut by the end of the run, which is most of them when a loaded
    flow lasts about as long as the window; it is kept as `flowsSeenByUsers`.
    """
    before, since = cpu_seconds(pid), time.time()
    result = paced(url, pacing, pacing.seconds, selfie, "paced")
    cpu, until = cpu_seconds(pid) - before, time.time()
    return _summary(result, cpu, _verdicts_between(database, since, until))


def _summary(result: LoadResult, cpu: float, flows: int) -> dict[str, Any]:
    return {
        "load": result.as_dict(),
        "flowsSeenByUsers": result.flows,
        "flowsPerSecond": flows / result.seconds if result.seconds else 0.0,
        "pollsPerFlow": result.polls / flows if flows else None,
        "cpuSeconds": cpu,
        "cpuMsPerFlow": cpu * 1000 / flows if flows else None,
    }


def same_flow_floor(work: Path, logs: Path, pacing: Pacing) -> dict[str, Any]:
    """The paced users against the same-flow floor (bare Starlette + sqlite3, verdict at confirm)."""
    selfie = work / "selfie.jpg"
    selfie.write_bytes(sample_jpeg())
    floor = start_same_flow(logs, work / "same-flow.db")
    try:
        paced(floor.base_url, pacing, pacing.warmup, selfie, "floor-warm")
        summary = _measured(floor.base_url, pacing, selfie, floor.process.pid, work / "same-flow.db")
        ensure_alive(floor.process, floor.log)
        return summary
    finally:
        floor.stop()


def run(work: Path, logs: Path, pacing: Pacing, total_flows: int) -> dict[str, Any]:
    """The paced users against the simulator (delay 0, callbacks to a local receiver), then the RSS run."""
    selfie = work / "selfie.jpg"
    selfie.write_bytes(sample_jpeg())
    database = work / "flows.db"
    with CallbackSink() as sink:
        config = partners_file(work / "partners.yaml", sink.url)
        sim, ready_seconds = start_simulator(
            logs, "simulator-flows", database, "--processing-delay-seconds", "0", "--config", str(config)
        )
        log = logs / "simulator-flows.log"
        try:
            pid = sim.process.pid
            rss_ready = rss_mb(pid)
            with RssSampler(pid) as sampler:
                began = time.time()
                for attempt in range(WARMUPS_MAX):  # a loaded machine may need longer than one warm-up
                    paced(sim.base_url, pacing, pacing.warmup, selfie, f"warm{attempt}")
                    ensure_alive(sim.process, log)
                    if _completed_count(database) >= pacing.users // 4:
                        break
                since = time.time()
                summary = _measured(sim.base_url, pacing, selfie, pid, database)
                ensure_alive(sim.process, log)
                until = time.time()
                # Flows counted by the server (submissions with a verdict): a user's flow cut by the end of a
                # wrk run still counts, so chunks need not outlast the (loaded) flow.
                done = _completed_count(database)
                curve = [{"flows": done, "rssMb": rss_mb(pid)}]
                rate = max(done / (time.time() - began), 1.0)
                chunk = 0
                while done < total_flows:
                    duration = min(CHUNK_SECONDS_MAX, (total_flows - done) / rate * 1.05 + 2)
                    print(f"  paced flows: {done:,}/{total_flows:,}, next chunk ~{duration:.0f} s", file=sys.stderr)
                    chunk += 1
                    result = paced(sim.base_url, pacing, duration, selfie, f"rss{chunk}")
                    ensure_alive(sim.process, log)
                    before_chunk, done = done, _completed_count(database)
                    if done == before_chunk:
                        raise RuntimeError(f"no flow completed in a chunk: {result}; see {log}")
                    curve.append({"flows": done, "rssMb": rss_mb(pid)})
            rss_end = rss_mb(pid)
            callbacks = sink.settle(database, _completed_at, _awaiting_verdict)
            verdict = _verdict_latency(database, since, until)
        finally:
            sim.stop()
    return {
        **summary,
        "readySeconds": ready_seconds,
        "users": pacing.users,
        "pollMs": pacing.poll_ms,
        "verdict": verdict,
        "callbacks": callbacks,
        "rss": {
            "flows": done,
            "readyMb": rss_ready,
            "endMb": rss_end,
            "growthMb": rss_end - rss_ready,
            "growthAfterWarmupMb": rss_end - curve[0]["rssMb"],
            "curve": curve,
            "samples": sampler.samples[:: max(1, len(sampler.samples) // 200)],
        },
        "log": str(log),
    }
