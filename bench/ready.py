"""Start to ready: seconds from spawning `onekyc-sim serve` to the first 200 of `GET /_sim/health`.

`measure` starts the simulator `runs` times, each on a fresh SQLite file (migrations included) and then
again on that file once it is at the schema head (a restart), polls the health endpoint every 5 ms from the
moment the process is spawned, and stops it; the median of each kind is the figure. `python -m bench.ready
[RUNS]` prints it on its own (the same figure `make bench` reports).
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.servers import cpu_seconds
from simulator.testing_server import free_port

POLL_SECONDS = 0.005


def _healthy(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        conn.request("GET", "/_sim/health")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def spawn_to_ready(database: Path, log: Path, timeout: float = 30.0) -> tuple[float, float]:
    """Seconds from spawn to the first 200 of the health endpoint, and the CPU seconds the server used
    until then (a figure a busy machine moves less); the server is stopped afterwards.

    Raises RuntimeError (naming `log`, its stderr) when it exits or is not ready within `timeout` s.
    """
    port = free_port()
    command = [sys.executable, "-m", "simulator", "serve", "--port", str(port), "--database", str(database)]
    with log.open("a") as errors:
        began = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
    try:
        while not _healthy(port):
            if process.poll() is not None:
                raise RuntimeError(f"the simulator exited with status {process.returncode} at start; see {log}")
            if time.perf_counter() - began > timeout:
                raise RuntimeError(f"the simulator was not ready within {timeout} s; see {log}")
            time.sleep(POLL_SECONDS)
        return time.perf_counter() - began, cpu_seconds(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def measure(logs: Path, runs: int) -> dict[str, Any]:
    """Median (and every run's) start-to-ready seconds on a fresh database and on one already at head."""
    fresh: list[tuple[float, float]] = []
    restart: list[tuple[float, float]] = []
    log = logs / "start-to-ready.log"
    log.write_text("")
    with tempfile.TemporaryDirectory(prefix="onekyc-ready-") as tmp:
        for run in range(runs):
            database = Path(tmp) / f"ready-{run}.db"
            fresh.append(spawn_to_ready(database, log))
            restart.append(spawn_to_ready(database, log))
    return {
        "runs": runs,
        "freshSeconds": statistics.median(wall for wall, _cpu in fresh),
        "restartSeconds": statistics.median(wall for wall, _cpu in restart),
        "freshCpuSeconds": statistics.median(cpu for _wall, cpu in fresh),
        "restartCpuSeconds": statistics.median(cpu for _wall, cpu in restart),
        "fresh": [wall for wall, _cpu in fresh],
        "restart": [wall for wall, _cpu in restart],
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.ready [RUNS]`: print the start-to-ready medians (RUNS starts of each kind, default 5)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.ready", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("runs", nargs="?", type=int, default=5, help="starts of each kind (default 5)")
    runs = parser.parse_args(argv).runs
    out = Path(tempfile.mkdtemp(prefix="onekyc-ready-logs-"))
    found = measure(out, runs)
    print(
        f"start to ready, median of {found['runs']}: fresh database {found['freshSeconds']:.3f} s, "
        f"database at head {found['restartSeconds']:.3f} s; CPU {found['freshCpuSeconds']:.3f} / "
        f"{found['restartCpuSeconds']:.3f} s  (fresh: "
        + ", ".join(f"{s:.2f}" for s in found["fresh"])
        + "; at head: "
        + ", ".join(f"{s:.2f}" for s in found["restart"])
        + ")"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
