"""`make bench-compare REF=<git ref>`: status-poll throughput of this tree against another commit, in one run.

Both simulators run side by side (each `python -m simulator` from its own checkout: this tree, and a
temporary `git worktree` of REF), each with BENCH_SESSIONS pre-created IN_PROGRESS submissions, and wrk
polls them in turn, this tree then REF, for BENCH_ROUNDS rounds of BENCH_SECONDS each (the pairs cancel
out most of a shared machine's drift). It prints each round, the medians and the ratio this/REF of the
rps and of the p99. All load goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.seed import seed_in_progress
from bench.servers import ROOT, ensure_alive
from bench.wrk import LoadResult, run_wrk, wrk_path
from simulator.clock import MAX_WAIT_SECONDS
from simulator.testing_server import ChildSimulator, start_child


def _start(tree: Path, work: Path, name: str, logs: Path) -> ChildSimulator:
    return start_child(
        work / f"{name}.db",
        extra_args=["--processing-delay-seconds", str(MAX_WAIT_SECONDS)],
        timeout=60,
        log_path=logs / f"compare-{name}.log",
        cwd=tree,
    )


def _poll(sim: ChildSimulator, sessions: Path, seconds: int) -> LoadResult:
    return run_wrk(sim.base_url, "status.lua", threads=2, connections=64, seconds=seconds, args=[str(sessions)])


def _known_ref(ref: str) -> bool:
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=ROOT, capture_output=True, check=False
    )
    return found.returncode == 0


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.compare [REF]`: the rounds, medians and ratios; 2 (one line) for an unknown REF."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.compare",
        description=__doc__,
        epilog="environment: BENCH_SECONDS (each round's window, 5), BENCH_ROUNDS (3), BENCH_SESSIONS (500), "
        "BENCH_LOGS (reports/bench-logs)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("ref", nargs="?", default="HEAD~1", help="the git ref to compare with (default HEAD~1)")
    ref = parser.parse_args(argv).ref
    if not _known_ref(ref):
        print(
            f"bench.compare: unknown git ref {ref!r}: give a commit, branch or tag (e.g. REF=HEAD~1)", file=sys.stderr
        )
        return 2
    seconds = int(os.environ.get("BENCH_SECONDS", 5))
    rounds = int(os.environ.get("BENCH_ROUNDS", 3))
    count = int(os.environ.get("BENCH_SESSIONS", 500))
    logs = Path(os.environ.get("BENCH_LOGS", ROOT / "reports" / "bench-logs"))
    logs.mkdir(parents=True, exist_ok=True)
    wrk_path()
    with tempfile.TemporaryDirectory(prefix="onekyc-compare-") as tmp:
        work = Path(tmp)
        other = work / "other"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(other), ref], cwd=ROOT, check=True)
        sims: list[ChildSimulator] = []
        try:
            sims = [_start(ROOT, work, "this", logs), _start(other, work, "other", logs)]
            files = [seed_in_progress(s.base_url, count, work / f"sessions-{i}.tsv") for i, s in enumerate(sims)]
            for sim, sessions in zip(sims, files, strict=True):
                _poll(sim, sessions, 2)  # warm-up
            results: list[list[LoadResult]] = [[], []]
            for round_ in range(rounds):
                for i, (sim, sessions) in enumerate(zip(sims, files, strict=True)):
                    results[i].append(_poll(sim, sessions, seconds))
                    ensure_alive(sim.process, logs / f"compare-{('this', 'other')[i]}.log")
                this, that = results[0][-1], results[1][-1]
                print(
                    f"round {round_ + 1}: this {this.rps:,.0f} rps p99 {this.p99_ms:.1f} ms | "
                    f"{ref} {that.rps:,.0f} rps p99 {that.p99_ms:.1f} ms"
                )
        finally:
            for sim in sims:
                sim.stop()
            subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, check=False)
    rps = [statistics.median(r.rps for r in res) for res in results]
    p99 = [statistics.median(r.p99_ms for r in res) for res in results]
    print(f"status poll, IN_PROGRESS, 64 connections, median of {rounds} rounds of {seconds} s:")
    print(f"  this tree: {rps[0]:,.0f} rps, p99 {p99[0]:.1f} ms")
    print(f"  {ref}: {rps[1]:,.0f} rps, p99 {p99[1]:.1f} ms")
    print(f"  ratio this/{ref}: rps {rps[0] / rps[1]:.2f}, p99 {p99[0] / p99[1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
