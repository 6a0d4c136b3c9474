"""The processes under load: the two floors and the simulator (as `onekyc-sim serve` children).

Every server's stderr is kept in a log file of the bench's log directory, so a server that dies under load
can be read about afterwards; `ensure_alive` turns a dead server into an error that names its log.
"""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from simulator.testing_server import ChildSimulator, free_port, start_child

ROOT = Path(__file__).resolve().parent.parent


class ServerCrashed(RuntimeError):
    """A server under load exited; the message names its exit status and its log file."""


@dataclass
class FloorServer:
    """A floor server child (`python -m bench.floor` or `bench.sameflow`) and where it listens."""

    process: subprocess.Popen[str]
    base_url: str
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _start_module(module: str, ready: str, args: list[str], log: Path, timeout: float) -> FloorServer:
    port = free_port()
    with log.open("w") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", module, str(port), *args], stdout=subprocess.PIPE, stderr=errors, text=True, cwd=ROOT
        )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        while ready not in lines.get(timeout=timeout):
            pass
    except queue.Empty:
        process.kill()
        raise ServerCrashed(f"{module} did not start within {timeout} s; see {log}") from None
    return FloorServer(process, f"http://127.0.0.1:{port}", log)


def start_floor(logs: Path, timeout: float = 30.0) -> FloorServer:
    """The bare request floor: one Starlette JSON endpoint shaped like a status answer."""
    from bench.floor import READY

    return _start_module("bench.floor", READY, [], logs / "floor.log", timeout)


def start_same_flow(logs: Path, database: Path, timeout: float = 30.0) -> FloorServer:
    """The same-flow floor: the flow's request sequence on bare Starlette + stdlib sqlite3."""
    from bench.sameflow import READY

    return _start_module("bench.sameflow", READY, [str(database)], logs / "same-flow.log", timeout)


def start_simulator(logs: Path, name: str, database: Path | str, *args: str) -> tuple[ChildSimulator, float]:
    """The simulator as a child process (stderr in `logs/NAME.log`), and the seconds from spawn to ready."""
    began = time.perf_counter()
    child = start_child(database, extra_args=list(args), timeout=60, log_path=logs / f"{name}.log")
    return child, time.perf_counter() - began


def ensure_alive(process: subprocess.Popen[str], log: Path | str) -> None:
    """Raise ServerCrashed when `process` has exited."""
    code = process.poll()
    if code is not None:
        raise ServerCrashed(f"the server exited with status {code} under load; its log: {log}")


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far, from /proc/PID/stat (Linux)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime field 14, stime field 15 (1-based in proc(5)).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class RssSampler:
    """Samples a process's RSS every `interval` seconds on a thread: `(seconds since start, MB)` pairs."""

    def __init__(self, pid: int, interval: float = 1.0) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._began = time.monotonic()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic() - self._began, rss_mb(self.pid)))
            except (OSError, RuntimeError):
                return
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
