"""Run a real simulator on a free port: in a thread of this process, or as a child process.

Used by the end-to-end tests, the pytest plugin, the replay runner and the benchmark. Readiness is an
event (the server's startup in a thread; the "simulator ready" log line of a child), never a guess.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from simulator.settings import Settings

READY_MARKER = "simulator ready"

# Debian's Chromium, as the browser tests and the README screenshots drive it (never a downloaded browser).
# Without the background-networking flags its connections are refused by a closed network.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def free_socket(host: str = "127.0.0.1") -> socket.socket:
    """A listening-ready socket bound to a free port (no race: the server takes this very socket)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    sock.set_inheritable(True)
    return sock


def free_port(host: str = "127.0.0.1") -> int:
    with contextlib.closing(free_socket(host)) as sock:
        port: int = sock.getsockname()[1]
        return port


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


@dataclass
class ThreadedSimulator:
    settings: Settings
    base_url: str


@contextlib.contextmanager
def simulator_in_thread(settings: Settings, *, timeout: float = 30.0) -> Iterator[ThreadedSimulator]:
    """Serve `settings` (its port is replaced by a free one) from a background thread."""
    from simulator.app import create_app
    from simulator.malformed_http import vendor_protocol

    sock = free_socket(settings.host)
    port = sock.getsockname()[1]
    settings = settings.model_copy(
        update={"port": port, "public_base_url": settings.public_base_url or f"http://{settings.host}:{port}"}
    )
    config = uvicorn.Config(
        create_app(settings), log_config=None, access_log=False, lifespan="on", http=vendor_protocol()
    )
    server = _Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    try:
        if not server.ready.wait(timeout):
            raise RuntimeError(f"the simulator did not start within {timeout} s")
        yield ThreadedSimulator(settings, settings.base_url)
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()


@dataclass
class ChildSimulator:
    process: subprocess.Popen[str]
    base_url: str
    port: int
    database: str
    pump: threading.Thread

    def kill(self) -> None:
        """SIGKILL: the crash a durability test wants (no shutdown hooks run)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.pump.join(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.pump.join(10)


def start_child(
    database: str | Path,
    *,
    port: int | None = None,
    extra_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout: float = 30.0,
    log_path: Path | None = None,
    cwd: Path | None = None,
) -> ChildSimulator:
    """`onekyc-sim serve` as a child process; returns once it logged that it is ready.

    `log_path`, when given, receives every line the child writes to stderr (its JSON log), kept for
    after-the-fact reading (the benchmark keeps it beside its results). `cwd` runs the `simulator` package of
    another checkout (`python -m` imports from the working directory first). Raises RuntimeError when the child
    exits or stays silent for `timeout` seconds before it is ready.
    """
    port = port or free_port()
    command = [
        sys.executable,
        "-m",
        "simulator",
        "serve",
        "--port",
        str(port),
        "--database",
        str(database),
        "--log-level",
        "INFO",
        "--log-format",
        "json",
        *extra_args,
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    started = threading.Event()

    def pump() -> None:
        # Until ready, hand lines over; afterwards keep draining the pipe so the child never blocks.
        assert process.stderr is not None
        log = log_path.open("a", encoding="utf-8") if log_path is not None else None
        with process.stderr, log or contextlib.nullcontext():
            for line in process.stderr:
                if log is not None:
                    log.write(line)
                    log.flush()
                if not started.is_set():
                    lines.put(line)
        lines.put(None)

    pump_thread = threading.Thread(target=pump, daemon=True)
    pump_thread.start()
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            process.kill()
            process.wait()
            pump_thread.join(10)
            raise RuntimeError(f"the simulator did not start within {timeout} s:\n{''.join(seen)}") from None
        if line is None:
            process.wait()
            pump_thread.join(10)
            raise RuntimeError(f"the simulator exited before it was ready:\n{''.join(seen)}")
        seen.append(line)
        if READY_MARKER in line:
            started.set()
            break
    _wait_until_accepting(port, timeout)
    return ChildSimulator(process, f"http://127.0.0.1:{port}", port, str(database), pump_thread)


def _wait_until_accepting(port: int, timeout: float) -> None:
    """The ready line is logged just before the server listens: wait until a connection is accepted."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the simulator logged ready but accepted nothing within {timeout} s") from None
            time.sleep(0.01)
