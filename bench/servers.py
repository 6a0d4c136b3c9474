"""The processes under load: the floor server and the simulator (as `onekyc-sim serve` children)."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.floor import READY
from simulator.testing_server import ChildSimulator, free_port, start_child


@dataclass
class FloorServer:
    process: subprocess.Popen[str]
    base_url: str

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_floor(timeout: float = 30.0) -> FloorServer:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.floor", str(port)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        while READY not in lines.get(timeout=timeout):
            pass
    except queue.Empty:
        process.kill()
        raise RuntimeError("the floor server did not start") from None
    return FloorServer(process, f"http://127.0.0.1:{port}")


def start_simulator(database: Path, *args: str) -> tuple[ChildSimulator, float]:
    """The simulator as a child process, and the seconds from spawn to its "ready" log line."""
    began = time.perf_counter()
    child = start_child(database, extra_args=list(args), timeout=60)
    return child, time.perf_counter() - began


def rss_mb(pid: int) -> float:
    """Resident set size of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")
