"""`make bench`: the real simulator under load next to two floors measured in the same run; a table and a JSON file.

Phases (all traffic to 127.0.0.1, every load bounded in time):

1. status polls on pre-created IN_PROGRESS submissions vs the bare request floor (one Starlette endpoint):
   rps, p50, p99, ratios; then the soak: BENCH_SOAK_SESSIONS connections each polling at 1 Hz;
2. paced flows as the vendor's SDK drives them (bench/flows.py): BENCH_USERS virtual users, each caching its
   partner token, polling status every BENCH_POLL_MS until the next action is known; the same users against
   the same-flow floor (bench/sameflow.py); flows/s and the ratio, CPU per flow, confirm -> verdict and
   completion -> callback latency, polls per flow, lost callbacks;
3. paced flows continue until BENCH_FLOWS in all: the server's RSS curve;
4. start to ready (bench/ready.py): spawn to the first 200 of /_sim/health, BENCH_READY_RUNS times on a
   fresh database and on one at the schema head, medians;
5. scale-out (bench/scaleout.py): paced flows/s of two instances on one PostgreSQL database against one
   instance on PostgreSQL (skipped, saying why, when no PostgreSQL is installed or named).

The package is byte-compiled first, as `pip install` does: a checkout run with PYTHONDONTWRITEBYTECODE would
otherwise compile every module at each start of a server.

Environment: BENCH_QUICK=1 (a run of about 4-7 minutes on a busy 2-core machine),
BENCH_SECONDS (each measured window, default 20), BENCH_SOAK_SECONDS (60), BENCH_SOAK_SESSIONS (2000),
BENCH_USERS (400), BENCH_POLL_MS (500),
BENCH_FLOWS (100000), BENCH_POLL_CONNECTIONS (64), BENCH_READY_RUNS (5), BENCH_SCALE_SECONDS (each measured
scale-out window, 20), BENCH_POSTGRES_URL (a PostgreSQL server for the scale-out), BENCH_OUT
(bench/results.json), BENCH_LOGS (reports/bench-logs: every server's stderr).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import flows as flow_phase
from bench import ready as ready_phase
from bench import scaleout
from bench.report import Goal, print_report
from bench.seed import seed_in_progress
from bench.servers import FloorServer, ServerCrashed, ensure_alive, rss_mb, start_floor, start_simulator
from bench.wrk import LoadResult, run_wrk, wrk_path
from simulator.clock import MAX_WAIT_SECONDS

HERE = Path(__file__).resolve().parent
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


def _env_int(name: str, default: int, quick: int) -> int:
    return int(os.environ.get(name, quick if QUICK else default))


@dataclass(frozen=True)
class BenchConfig:
    """Every knob of one run; BENCH_QUICK=1 picks the short defaults (about 4-7 minutes in all)."""

    seconds: int = field(default_factory=lambda: _env_int("BENCH_SECONDS", 20, 20))
    soak_seconds: int = field(default_factory=lambda: _env_int("BENCH_SOAK_SECONDS", 60, 5))
    soak_sessions: int = field(default_factory=lambda: _env_int("BENCH_SOAK_SESSIONS", 2000, 300))
    users: int = field(default_factory=lambda: _env_int("BENCH_USERS", 400, 400))
    poll_ms: int = field(default_factory=lambda: _env_int("BENCH_POLL_MS", 500, 500))
    flows: int = field(default_factory=lambda: _env_int("BENCH_FLOWS", 100_000, 0))
    poll_connections: int = field(default_factory=lambda: _env_int("BENCH_POLL_CONNECTIONS", 64, 64))
    ready_runs: int = field(default_factory=lambda: _env_int("BENCH_READY_RUNS", 5, 3))
    scale_seconds: int = field(default_factory=lambda: _env_int("BENCH_SCALE_SECONDS", 20, 14))
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


def _get(results: dict[str, Any], *path: str) -> Any:
    """A figure of `results` (None when its phase crashed, was skipped or did not measure it)."""
    found: Any = results
    for key in path:
        if not isinstance(found, dict) or key not in found:
            return None
        found = found[key]
    return found


def goals(results: dict[str, Any]) -> list[Goal]:
    """The performance goals of the speed issue, each with the figure measured in this run."""
    flows, floor_rate = _get(results, "flows", "flowsPerSecond"), _get(results, "sameFlowFloor", "flowsPerSecond")
    ratio = flows / floor_rate if flows is not None and floor_rate else None
    rss_flows = _get(results, "flows", "rss", "flows") or 0
    runs = _get(results, "startToReady", "runs")
    return [
        Goal("status rps >= 0.75 x floor", _get(results, "statusPoll", "rpsRatio"), ">=", 0.75),
        Goal("status p99 <= 2 x floor p99", _get(results, "statusPoll", "p99Ratio"), "<=", 2.0),
        Goal("soak errors == 0", _get(results, "statusPoll", "soak", "errors"), "<=", 0),
        Goal("paced flows/s >= 0.3 x same-flow floor", ratio, ">=", 0.3),
        Goal("server CPU per flow <= 5 ms", _get(results, "flows", "cpuMsPerFlow"), "<=", 5.0),
        Goal("confirm -> verdict p99 <= 100 ms", _get(results, "flows", "verdict", "p99Ms"), "<=", 100.0),
        Goal("completion -> callback p99 <= 250 ms", _get(results, "flows", "callbacks", "p99Ms"), "<=", 250.0),
        Goal("lost callbacks == 0", _get(results, "flows", "callbacks", "missing"), "<=", 0),
        Goal("flow errors == 0", _get(results, "flows", "load", "errors"), "<=", 0),
        Goal(
            f"RSS growth <= 50 MB over 100,000 flows (ran {rss_flows:,})",
            _get(results, "flows", "rss", "growthMb"),
            "<=",
            50,
            judged=rss_flows >= 100_000,
        ),
        Goal(
            f"start to ready <= 1 s (median of {runs}, fresh db)",
            _get(results, "startToReady", "freshSeconds"),
            "<=",
            1.0,
        ),
        Goal("two instances >= 1.6 x one (PostgreSQL)", _get(results, "scaleOut", "ratio"), ">=", 1.6),
    ]


def _phase(results: dict[str, Any], key: str, title: str, measure: Callable[[], dict[str, Any]]) -> None:
    """Run one phase into `results[key]`; a server that crashed or failed to start is recorded as such."""
    print(f"{title} ...", file=sys.stderr, flush=True)
    try:
        results[key] = measure()
    except (ServerCrashed, RuntimeError) as exc:
        print(f"  {title}: {exc}", file=sys.stderr, flush=True)
        results[key] = {"crashed": str(exc)}


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.run`: every phase, the report and the JSON file; `--help` says what and how."""
    argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    ).parse_args(argv)
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
    scale = flow_phase.Pacing(users=cfg.users, poll_ms=cfg.poll_ms, seconds=cfg.scale_seconds)
    compileall.compile_dir(HERE.parent / "simulator", quiet=1)
    floor = start_floor(cfg.logs)
    # Removed in `finally`, after the servers stopped, also on Ctrl-C (ignoring what a dying child still holds).
    work = Path(tempfile.mkdtemp(prefix="onekyc-bench-"))
    try:
        _phase(results, "statusPoll", "status polls and soak", lambda: status_phase(cfg, work, floor))
        _phase(
            results,
            "flows",
            f"paced flows ({cfg.users} users, poll every {cfg.poll_ms} ms)",
            lambda: flow_phase.run(work, cfg.logs, pacing, cfg.flows),
        )
        _phase(results, "sameFlowFloor", "same-flow floor", lambda: flow_phase.same_flow_floor(work, cfg.logs, pacing))
        _phase(
            results,
            "startToReady",
            f"start to ready ({cfg.ready_runs} runs)",
            lambda: ready_phase.measure(cfg.logs, cfg.ready_runs),
        )
        _phase(
            results,
            "scaleOut",
            "scale-out on PostgreSQL: one instance, then two",
            lambda: scaleout.run(work, cfg.logs, scale),
        )
    finally:
        floor.stop()
        shutil.rmtree(work, ignore_errors=True)
    results["wallSeconds"] = time.time() - started
    results["goals"] = [g.as_dict() for g in goals(results)]
    cfg.out.write_text(json.dumps(results, indent=2) + "\n")
    print_report(results)
    print(f"\nwritten to {cfg.out}; server logs in {cfg.logs}")
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        print("bench: interrupted; its temporary files are removed", file=sys.stderr)
        raise SystemExit(130) from None
