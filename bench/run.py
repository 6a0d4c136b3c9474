"""`make bench`: the real simulator under load next to a bare Starlette floor, a table and bench/results.json.

Phases (all traffic to 127.0.0.1, every load bounded in time):

1. status polls on pre-created IN_PROGRESS submissions vs the floor: rps, p50, p99, ratios;
2. the soak: BENCH_SOAK_SESSIONS connections each polling its session at 1 Hz for BENCH_SOAK_SECONDS;
3. full flows (token -> initiate -> presign -> upload -> confirm -> polls -> details), callbacks received
   by a local receiver: flows/s, rps vs the floor, callback latency from completion to receipt;
4. more flows until BENCH_FLOWS in all: the server's RSS before and after.

Environment: BENCH_SECONDS (each throughput run, default 15), BENCH_SOAK_SECONDS (60),
BENCH_SOAK_SESSIONS (2000), BENCH_FLOWS (100000), BENCH_POLL_CONNECTIONS (64),
BENCH_FLOW_CONNECTIONS (8), BENCH_OUT (bench/results.json).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import flows as flow_phase
from bench.report import Goal, print_report
from bench.seed import seed_in_progress
from bench.servers import FloorServer, rss_mb, start_floor, start_simulator
from bench.wrk import LoadResult, run_wrk, wrk_path

HERE = Path(__file__).resolve().parent


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class BenchConfig:
    seconds: int = field(default_factory=lambda: _env_int("BENCH_SECONDS", 15))
    soak_seconds: int = field(default_factory=lambda: _env_int("BENCH_SOAK_SECONDS", 60))
    soak_sessions: int = field(default_factory=lambda: _env_int("BENCH_SOAK_SESSIONS", 2000))
    flows: int = field(default_factory=lambda: _env_int("BENCH_FLOWS", 100_000))
    poll_connections: int = field(default_factory=lambda: _env_int("BENCH_POLL_CONNECTIONS", 64))
    flow_connections: int = field(default_factory=lambda: _env_int("BENCH_FLOW_CONNECTIONS", 8))
    out: Path = field(default_factory=lambda: Path(os.environ.get("BENCH_OUT", HERE / "results.json")))


def _floor(floor: FloorServer, connections: int, seconds: int) -> LoadResult:
    return run_wrk(floor.base_url, "floor.lua", threads=2, connections=connections, seconds=seconds)


def status_phase(cfg: BenchConfig, work: Path, floor: FloorServer) -> dict[str, Any]:
    """Status polls and the soak against one server whose submissions never finish processing."""
    sim, ready_seconds = start_simulator(work / "poll.db", "--processing-delay-seconds", "1000000000")
    try:
        sessions = seed_in_progress(sim.base_url, max(cfg.soak_sessions, 2000), work / "in-progress.tsv")
        connections = cfg.poll_connections
        run_wrk(sim.base_url, "status.lua", threads=2, connections=connections, seconds=2, args=[str(sessions)])
        floor_result = _floor(floor, connections, cfg.seconds)
        status = run_wrk(
            sim.base_url, "status.lua", threads=2, connections=connections, seconds=cfg.seconds, args=[str(sessions)]
        )
        soak = run_wrk(
            sim.base_url,
            "soak.lua",
            threads=2,
            connections=cfg.soak_sessions,
            seconds=cfg.soak_seconds,
            args=[str(sessions), "1000"],
            timeout_seconds=5,
        )
        return {
            "readySeconds": ready_seconds,
            "connections": connections,
            "floor": floor_result.as_dict(),
            "status": status.as_dict(),
            "rpsRatio": status.rps / floor_result.rps,
            "p99Ratio": status.p99_ms / floor_result.p99_ms if floor_result.p99_ms else None,
            "soak": {**soak.as_dict(), "sessions": cfg.soak_sessions, "seconds": cfg.soak_seconds},
            "rssMb": rss_mb(sim.process.pid),
        }
    finally:
        sim.stop()


def goals(results: dict[str, Any]) -> list[Goal]:
    poll, flow = results["statusPoll"], results["flows"]
    found = [
        Goal("status rps >= 0.75 x floor", poll["rpsRatio"], ">=", 0.75),
        Goal("status p99 <= 2 x floor p99", poll["p99Ratio"], "<=", 2.0),
        Goal("flow rps >= 0.5 x floor", flow["rpsRatio"], ">=", 0.5),
        Goal("soak errors == 0", poll["soak"]["errors"], "<=", 0),
        Goal(f"RSS growth after {flow['rss']['flows']} flows <= 50 MB", flow["rss"]["growthMb"], "<=", 50),
    ]
    if flow["callbacks"]["received"] is not None:
        found.append(Goal("every callback received", flow["callbacks"]["missing"], "<=", 0))
    return found


def main() -> int:
    cfg = BenchConfig()
    wrk_path()
    started = time.time()
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": platform.platform()},
        "config": {k: str(v) for k, v in cfg.__dict__.items()},
    }
    floor = start_floor()
    try:
        with tempfile.TemporaryDirectory(prefix="onekyc-bench-") as tmp:
            work = Path(tmp)
            print("status polls and soak ...", file=sys.stderr, flush=True)
            results["statusPoll"] = status_phase(cfg, work, floor)
            print("full flows ...", file=sys.stderr, flush=True)
            results["flows"] = flow_phase.run(
                work,
                floor_load=lambda c: _floor(floor, c, cfg.seconds),
                seconds=cfg.seconds,
                connections=cfg.flow_connections,
                total_flows=cfg.flows,
            )
    finally:
        floor.stop()
    results["wallSeconds"] = time.time() - started
    results["goals"] = [g.as_dict() for g in goals(results)]
    cfg.out.write_text(json.dumps(results, indent=2) + "\n")
    print_report(results)
    print(f"\nwritten to {cfg.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
