"""Start-up failures a user can cause: the real `onekyc-sim serve` in a subprocess ends in two lines
(what is wrong, what to do) with exit status 2, never a traceback, and says "serving on" only once it serves.

Also the pytest plugin's marker: a bad option fails the test with one line naming it.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from simulator.testing_server import free_port, free_socket

pytest_plugins = ["pytester"]


def serve(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`onekyc-sim serve ARGS` on a free port; returns once it exited (a start-up failure must end it)."""
    command = [sys.executable, "-m", "simulator", "serve", "--port", str(free_port()), *args]
    environ = {k: v for k, v in os.environ.items() if not k.upper().startswith("ONEKYC_SIM_")}
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env={**environ, **(env or {})}, cwd=cwd)


def two_lines(result: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    """The failure's two lines, after checking the exit status and that nothing else was printed."""
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("onekyc-sim: ")
    assert "serving on" not in result.stderr
    return lines[0], lines[1]


def test_a_database_in_a_missing_directory(tmp_path: Path) -> None:
    problem, remedy = two_lines(serve("--database", str(tmp_path / "missing" / "sim.db")))
    assert f"the directory {tmp_path / 'missing'} does not exist" in problem
    assert f"mkdir -p {tmp_path / 'missing'}" in remedy
    assert "--database" in remedy


def test_a_database_path_that_is_a_directory_or_not_a_database(tmp_path: Path) -> None:
    problem, remedy = two_lines(serve("--database", str(tmp_path)))
    assert "it is a directory" in problem
    assert str(tmp_path / "onekyc-sim.db") in remedy
    (tmp_path / "notes.txt").write_text("not a database, " * 100)
    problem, _ = two_lines(serve("--database", str(tmp_path / "notes.txt")))
    assert "is not a SQLite database" in problem


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("://nothing", "is not a database URL the simulator can use"),
        ("nosuchdb://host/db", "is not a database URL the simulator can use"),
        ("sqlite:///sim.db", "not asyncio-based"),
        ("postgresql+nosuchdriver://u:pw@localhost/db", "is not a database URL the simulator can use"),
    ],
)
def test_a_malformed_database_url(url: str, says: str) -> None:
    problem, remedy = two_lines(serve("--database", url))
    assert says in problem
    assert "--database" in problem
    assert "postgresql+asyncpg://" in remedy


def test_an_unreachable_postgresql_names_the_server_and_hides_the_password() -> None:
    port = free_port()  # nothing listens there
    result = serve("--database", f"postgresql+asyncpg://sim:s3cret-pw@127.0.0.1:{port}/sim")
    problem, remedy = two_lines(result)
    assert "s3cret-pw" not in result.stderr
    if importlib.util.find_spec("asyncpg") is None:
        assert "needs the Python driver 'asyncpg', which is not installed" in problem
        assert "pip install asyncpg" in remedy
    else:
        assert f"cannot reach the database server of postgresql+asyncpg://sim:***@127.0.0.1:{port}/sim" in problem
        assert "Start the server" in remedy


def test_an_unreadable_or_invalid_partners_file(tmp_path: Path) -> None:
    problem, remedy = two_lines(serve("--config", str(tmp_path), "--database", str(tmp_path / "a.db")))
    assert "cannot read partners file" in problem
    assert "--config" in remedy
    bad = tmp_path / "partners.yaml"
    bad.write_text("partners: [\n")
    problem, remedy = two_lines(serve("--database", str(tmp_path / "b.db"), env={"ONEKYC_SIM_CONFIG": str(bad)}))
    assert f"{bad}:2: not valid YAML" in problem
    assert "ONEKYC_SIM_CONFIG" in remedy


def test_a_broken_scenario_directory(tmp_path: Path) -> None:
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "mine.yaml").write_text("name: mine\nattempts: [{outcome: MAYBE}]\n")
    problem, remedy = two_lines(serve("--scenarios", str(scenarios), "--database", str(tmp_path / "sim.db")))
    assert "mine.yaml" in problem
    assert "attempts.0.outcome" in problem
    assert "onekyc-sim scenarios validate" in remedy


def test_an_invalid_environment_variable_is_named_as_the_variable() -> None:
    problem, remedy = two_lines(serve(env={"ONEKYC_SIM_MAX_ATTEMPTS": "abc"}))
    assert problem.startswith("onekyc-sim: ONEKYC_SIM_MAX_ATTEMPTS='abc': ")
    assert "--max-attempts" not in problem + remedy
    problem, _ = two_lines(serve(env={"ONEKYC_SIM_CALLBACK_RETRY_SCHEDULE": "ten"}))
    assert "ONEKYC_SIM_CALLBACK_RETRY_SCHEDULE" in problem


def test_the_port_variable_is_named_as_the_variable() -> None:
    command = [sys.executable, "-m", "simulator", "serve"]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=60, env={**os.environ, "ONEKYC_SIM_PORT": "abc"}
    )
    problem, remedy = two_lines(result)
    assert problem.startswith("onekyc-sim: ONEKYC_SIM_PORT='abc': Input should be a valid integer")
    assert "--port" not in problem + remedy


def test_an_invalid_flag_is_named_as_the_flag() -> None:
    problem, _ = two_lines(serve("--max-attempts", "0"))
    assert problem.startswith("onekyc-sim: --max-attempts=0: ")


def test_a_port_in_use() -> None:
    with free_socket() as busy:
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "simulator", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    problem, remedy = two_lines(result)
    assert f"cannot listen on 127.0.0.1:{port}" in problem
    assert "--port" in remedy


@contextmanager
def announced(*args: str) -> Iterator[str]:
    """Run `onekyc-sim serve *args` as a real process; the "serving on" line it prints, while it serves."""
    command = [sys.executable, "-m", "simulator", "serve", *args]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()

    def pump_lines() -> None:
        for line in process.stderr or ():
            lines.put(line)

    pump = threading.Thread(target=pump_lines, daemon=True)
    pump.start()
    try:
        while "serving on" not in (line := lines.get(timeout=60)):
            pass
        yield line
    finally:
        process.terminate()
        process.wait(30)
        pump.join(10)
        if process.stderr is not None:
            process.stderr.close()


def test_serving_on_is_printed_once_the_server_answers(tmp_path: Path) -> None:
    port = free_port()
    with announced("--port", str(port), "--database", str(tmp_path / "s.db")) as line:
        assert f"serving on http://127.0.0.1:{port}" in line
        # No retry: at the moment it says so, it serves.
        assert httpx.get(f"http://127.0.0.1:{port}/_sim/health", timeout=10).status_code == 200


MARKER_TESTS = """
import pytest


@pytest.mark.onekyc_sim(max_atempts=1)
def test_misspelt_option(onekyc_sim):
    pass


@pytest.mark.onekyc_sim(max_attempts=0)
def test_invalid_value(onekyc_sim):
    pass


@pytest.mark.onekyc_sim(1)
def test_positional_option(onekyc_sim):
    pass
"""


def test_a_bad_marker_option_is_one_line_naming_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_marker=MARKER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(errors=3)
    output = result.stdout.str()
    assert "pydantic" not in output
    assert "Traceback" not in output
    result.stdout.fnmatch_lines(
        [
            "_*ERROR at setup of test_misspelt_option*_",
            "@pytest.mark.onekyc_sim: unknown option 'max_atempts'; valid options: *, max_attempts, *",
            "_*ERROR at setup of test_invalid_value*_",
            "@pytest.mark.onekyc_sim(max_attempts=0): Input should be greater than or equal to 1",
            "_*ERROR at setup of test_positional_option*_",
            "@pytest.mark.onekyc_sim() takes options by name only; valid options: admin_token, *",
            "*short test summary*",
        ],
        consecutive=True,
    )
