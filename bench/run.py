"""`make bench`: the real simulator under load next to two floors measured in the same run; a table and a JSON file.

Phases (all traffic to 127.0.0.1, every load bounded in time):

1. status polls on pre-created IN_PROGRESS submissions vs the bare request floor (one Starlette endpoint):
   rps, p50, p99, ratios; then the soak: BENCH_SOAK_SESSIONS connections each polling at 1 Hz;
2. paced flows as the vendor's SDK drives them (bench/flows.py): BENCH_USERS virtual users, each caching its
   partner token, polling status every BENCH_POLL_MS until the next action is known; the same users against
   the same-flow floor (bench/sameflow.py); flows/s and the ratio, CPU per flow, confirm -> verdict and
   completion -> callback latency, polls per flow, lost callbacks;
3. paced flows continue until BENCH_FLOWS in all: the server's RSS curve.

Environment: BENCH_QUICK=1 (a run of about 3 minutes), BENCH_SECONDS (each measured window, default 15),
BENCH_SOAK_SECONDS (60), BENCH_SOAK_SESSIONS (2000), BENCH_USERS (400), BENCH_POLL_MS (500),
BENCH_FLOWS (100000), BENCH_POLL_CONNECTIONS (64), BENCH_OUT (bench/results.json), BENCH_LOGS
(reports/bench-logs: every server's stderr).
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
from bench.servers import FloorServer, ensure_alive, rss_mb, start_floor, start_simulator
from bench.wrk import LoadResult, run_wrk, wrk_path
from simulator.clock import MAX_WAIT_SECONDS

HERE = Path(__file__).resolve().parent
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


def _env_int(name: str, default: int, quick: int) -> int:
    return int(os.environ.get(name, quick if QUICK else default))


@dataclass(frozen=True)
class BenchConfig:
    """Every knob of one run; BENCH_QUICK=1 picks the short defaults (about 3 minutes in all)."""

    seconds: int = field(default_factory=lambda: _env_int("BENCH_SECONDS", 20, 20))
    soak_seconds: int = field(default_factory=lambda: _env_int("BENCH_SOAK_SECONDS", 60, 5))
    soak_sessions: int = field(default_factory=lambda: _env_int("BENCH_SOAK_SESSIONS", 2000, 300))
    users: int = field(default_factory=lambda: _env_int("BENCH_USERS", 400, 400))
    poll_ms: int = field(default_factory=lambda: _env_int("BENCH_POLL_MS", 500, 500))
    flows: int = field(default_factory=lambda: _env_int("BENCH_FLOWS", 100_000, 0))
    poll_connections: int = field(default_factory=lambda: _env_int("BENCH_POLL_CONNECTIONS", 64, 64))
    out: Path = field(default_factory=lambda: Path(os.environ.get("BENCH_OUT", HERE / "results.json")))
    logs: Path = field(
        default_factory=lambda: Path(os.environ.get("BENCH_LOGS", HERE.parent / "reports" / "bench-logs"))
    )


def _floor(floor: FloorServer, connections: int, seconds: int) -> LoadResult:
    return run_wrk(floor.base_url, "floor.lua", threads=2, connections=connections, seconds=seconds)


def status_phase(cfg: BenchConfig, work: Path, floor: FloorServer) -> dict[str, Any]:
    """Status polls and the soak against one server whose submissions never finish processing."""
    sim, ready_seconds = start_simulator(
        cfg.logs, "simulator-status", work / "poll.db", "--processing-delay-seconds", str(MAX_WAIT_SECONDS)
    )
    log = cfg.logs / "simulator-status.log"
    try:
        sessions = seed_in_progress(sim.base_url, max(cfg.soak_sessions, 300), work / "in-progress.tsv")
        connections = cfg.poll_connections
        run_wrk(sim.base_url, "status.lua", threads=2, connections=connections, seconds=2, args=[str(sessions)])
        floor_result = _floor(floor, connections, cfg.seconds)
        status = run_wrk(
            sim.base_url, "status.lua", threads=2, connections=connections, seconds=cfg.seconds, args=[str(sessions)]
        )
        ensure_alive(sim.process, log)
        soak = run_wrk(
            sim.base_url,
            "soak.lua",
            threads=2,
            connections=cfg.soak_sessions,
            seconds=cfg.soak_seconds,
            args=[str(sessions), "1000"],
            timeout_seconds=5,
        )
        ensure_alive(sim.process, log)
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
    """The performance goals of the speed issue, each with the figure measured in this run."""
    poll, flow, floor = results["statusPoll"], results["flows"], results["sameFlowFloor"]
    ratio = flow["flowsPerSecond"] / floor["flowsPerSecond"] if floor["flowsPerSecond"] else None
    found = [
        Goal("status rps >= 0.75 x floor", poll["rpsRatio"], ">=", 0.75),
        Goal("status p99 <= 2 x floor p99", poll["p99Ratio"], "<=", 2.0),
        Goal("soak errors == 0", poll["soak"]["errors"], "<=", 0),
        Goal("paced flows/s >= 0.3 x same-flow floor", ratio, ">=", 0.3),
        Goal("server CPU per flow <= 5 ms", flow["cpuMsPerFlow"], "<=", 5.0),
        Goal("confirm -> verdict p99 <= 100 ms", flow["verdict"]["p99Ms"], "<=", 100.0),
        Goal("completion -> callback p99 <= 250 ms", flow["callbacks"]["p99Ms"], "<=", 250.0),
        Goal("lost callbacks == 0", flow["callbacks"]["missing"], "<=", 0),
        Goal("flow errors == 0", flow["load"]["errors"], "<=", 0),
        Goal("start to ready <= 1 s", max(poll["readySeconds"], flow["readySeconds"]), "<=", 1.0),
    ]
    if flow["rss"]["flows"] >= 100_000:
        found.append(
            Goal(f"RSS growth over {flow['rss']['flows']:,} flows <= 50 MB", flow["rss"]["growthMb"], "<=", 50)
        )
    return found


def main() -> int:
    cfg = BenchConfig()
    wrk_path()
    cfg.logs.mkdir(parents=True, exist_ok=True)
    started = time.time()
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": platform.platform()},
        "config": {k: str(v) for k, v in cfg.__dict__.items()},
        "quick": QUICK,
    }
    pacing = flow_phase.Pacing(users=cfg.users, poll_ms=cfg.poll_ms, seconds=cfg.seconds)
    floor = start_floor(cfg.logs)
    try:
        with tempfile.TemporaryDirectory(prefix="onekyc-bench-") as tmp:
            work = Path(tmp)
            print("status polls and soak ...", file=sys.stderr, flush=True)
            results["statusPoll"] = status_phase(cfg, work, floor)
            print(f"paced flows ({cfg.users} users, poll every {cfg.poll_ms} ms) ...", file=sys.stderr, flush=True)
            results["flows"] = flow_phase.run(work, cfg.logs, pacing, cfg.flows)
            print("same-flow floor ...", file=sys.stderr, flush=True)
            results["sameFlowFloor"] = flow_phase.same_flow_floor(work, cfg.logs, pacing)
    finally:
        floor.stop()
    results["wallSeconds"] = time.time() - started
    results["goals"] = [g.as_dict() for g in goals(results)]
    cfg.out.write_text(json.dumps(results, indent=2) + "\n")
    print_report(results)
    print(f"\nwritten to {cfg.out}; server logs in {cfg.logs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
