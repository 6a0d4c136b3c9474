"""The benchmark's commands answer `--help` (without starting a benchmark) and refuse an unknown git ref in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=60, cwd=ROOT)


@pytest.mark.parametrize(
    ("module", "says"), [("bench.run", "BENCH_QUICK"), ("bench.ready", "RUNS"), ("bench.compare", "BENCH_ROUNDS")]
)
def test_help_describes_the_command_and_runs_nothing(module: str, says: str) -> None:
    result = _run(module, "--help")
    assert result.returncode == 0, result.stderr
    assert f"usage: python -m {module}" in result.stdout
    assert says in result.stdout
    assert result.stderr == ""


def test_compare_refuses_an_unknown_ref_in_one_line() -> None:
    result = _run("bench.compare", "no-such-ref-anywhere")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "bench.compare: unknown git ref 'no-such-ref-anywhere': give a commit, branch or tag (e.g. REF=HEAD~1)"
    ]
