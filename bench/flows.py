"""The full-flow phase: throughput against the floor, callback latency, then RSS over many flows."""

from __future__ import annotations

import math
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bench.callbacks import CallbackSink
from bench.servers import rss_mb, start_simulator
from bench.wrk import LoadResult, run_wrk
from simulator.client import sample_jpeg
from simulator.partners import sample_partner

CHUNK_SECONDS_MAX = 300


def _partners_file(work: Path, callback_url: str) -> Path:
    partner = sample_partner().model_dump(mode="json")
    partner["callback"] = {"url": callback_url, "method": "POST"}
    path = work / "partners.yaml"
    path.write_text(yaml.safe_dump({"partners": [partner]}))
    return path


def _completed_at(database: Path) -> dict[str, float]:
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT id, completed_at FROM submissions WHERE completed_at IS NOT NULL")
        return {str(submission_id): float(at) for submission_id, at in rows}


def _flows(url: str, connections: int, seconds: float, selfie: Path, prefix: str, quota: int = 0) -> LoadResult:
    return run_wrk(
        url,
        "flow.lua",
        threads=connections,
        connections=connections,
        seconds=seconds,
        args=[str(selfie), str(quota), prefix],
    )


def run(
    work: Path,
    *,
    floor_load: Callable[[int], LoadResult],
    seconds: int,
    connections: int,
    total_flows: int,
) -> dict[str, Any]:
    selfie = work / "selfie.jpg"
    selfie.write_bytes(sample_jpeg())
    database = work / "flows.db"
    with CallbackSink() as sink:
        config = _partners_file(work, sink.url)
        sim, ready_seconds = start_simulator(database, "--processing-delay-seconds", "0", "--config", str(config))
        try:
            rss_ready = rss_mb(sim.process.pid)
            warm = _flows(sim.base_url, connections, 3, selfie, "warm")
            rss_warm = rss_mb(sim.process.pid)
            floor = floor_load(connections)
            throughput = _flows(sim.base_url, connections, seconds, selfie, "tput")
            done = warm.flows + throughput.flows
            rate = max(throughput.flows / throughput.seconds, 1.0)
            chunk = 0
            while done < total_flows:
                remaining = total_flows - done
                chunk_flows = min(remaining, int(rate * CHUNK_SECONDS_MAX))
                quota = math.ceil(chunk_flows / connections)
                duration = min(CHUNK_SECONDS_MAX, chunk_flows / rate * 1.1 + 2)
                print(f"  flows: {done}/{total_flows}, next {chunk_flows} in ~{duration:.0f} s", file=sys.stderr)
                chunk += 1
                result = _flows(sim.base_url, connections, duration, selfie, f"rss{chunk}", quota)
                if result.flows == 0:
                    raise RuntimeError(f"no flow completed in a chunk: {result}")
                done += result.flows
            rss_end = rss_mb(sim.process.pid)
            callbacks = sink.settle(database, _completed_at)
        finally:
            sim.stop()
    return {
        "readySeconds": ready_seconds,
        "connections": connections,
        "floor": floor.as_dict(),
        "throughput": throughput.as_dict(),
        "flowsPerSecond": throughput.flows / throughput.seconds,
        "requestsPerFlow": throughput.requests / throughput.flows if throughput.flows else None,
        "pollsPerFlow": throughput.polls / throughput.flows if throughput.flows else None,
        "rpsRatio": throughput.rps / floor.rps,
        "callbacks": callbacks,
        "rss": {
            "flows": done,
            "readyMb": rss_ready,
            "afterWarmupMb": rss_warm,
            "endMb": rss_end,
            "growthMb": rss_end - rss_ready,
        },
        "measuredAt": time.time(),
    }
