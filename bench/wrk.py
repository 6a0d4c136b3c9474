"""Drive a server with wrk and one of the Lua scripts in bench/lua; parse the JSON line their done() prints."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

LUA_DIR = Path(__file__).resolve().parent / "lua"
MARKER = "BENCH_JSON "


class WrkMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class LoadResult:
    """One load run: throughput, latency percentiles (ms) and every kind of failure."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    status_errors: int
    bad: int
    flows: int
    polls: int

    @property
    def errors(self) -> int:
        return self.socket_errors + self.status_errors + self.bad

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "errors": self.errors}


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise WrkMissing("wrk is not installed: `apt-get install -y wrk` (make bench does it when run as root)")
    return path


def run_wrk(
    url: str,
    script: str,
    *,
    threads: int,
    connections: int,
    seconds: float,
    args: Sequence[str] = (),
    timeout_seconds: int = 10,
) -> LoadResult:
    """Run `wrk` against `url` (127.0.0.1 only) for `seconds`; raises if it fails or prints no result."""
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"the bench only loads 127.0.0.1, not {url}")
    command = [
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={timeout_seconds}s",
        "-s",
        str(LUA_DIR / script),
        url,
        "--",
        *args,
    ]
    completed = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, "BENCH_LUA_DIR": str(LUA_DIR)},
        timeout=seconds + 120,
        check=False,
    )
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith(MARKER)), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}")
    raw = json.loads(line[len(MARKER) :])
    duration = raw["duration_us"] / 1e6
    return LoadResult(
        requests=raw["requests"],
        seconds=duration,
        rps=raw["requests"] / duration if duration else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        socket_errors=raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
        status_errors=raw["status"],
        bad=raw["bad"],
        flows=raw["flows"],
        polls=raw["polls"],
    )
