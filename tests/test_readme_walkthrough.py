"""The README's curl walk-through, extracted from README.md and run as a user pastes it, against a real server.

It must pass twice in a row on one simulator (a fresh partner session id per run), leave no file behind
in the directory it runs in (the repository root), and stop at the first failing step with the error body.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from simulator.settings import Settings
from simulator.testing_server import simulator_in_thread

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Walk-through: the whole flow with curl"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None, reason="needs curl and bash"),
]


def walkthrough(base_url: str) -> str:
    """The first ```sh block of the walk-through section, pointed at `base_url`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index(SECTION) :]
    start = section.index("```sh\n") + len("```sh\n")
    script = section[start : section.index("```\n", start)]
    assert script.startswith("SIM=http://127.0.0.1:8080\n")
    return script.replace("SIM=http://127.0.0.1:8080", f"SIM={base_url}", 1)


def run(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_walkthrough_runs_twice_and_leaves_no_file(tmp_path: Path) -> None:
    before = sorted(path.name for path in ROOT.iterdir())
    settings = Settings(database=str(tmp_path / "walk.db"), log_level="WARNING")
    with simulator_in_thread(settings) as running:
        script = walkthrough(running.base_url)
        sessions = []
        for _ in range(2):
            result = run(script)
            assert result.returncode == 0, result.stdout + result.stderr
            assert result.stderr == ""
            assert '"status":"COMPLETED"' in result.stdout
            assert '"nextAction":"EXIT"' in result.stdout
            assert '"result":"VALID"' in result.stdout
            last = result.stdout.strip().splitlines()[-1]
            assert last.startswith("partner session walk-")
            sessions.append(last.split()[2])
    assert sessions[0] != sessions[1]
    assert sorted(path.name for path in ROOT.iterdir()) == before


def test_the_walkthrough_stops_at_the_first_failing_step_with_the_error_body(tmp_path: Path) -> None:
    settings = Settings(database=str(tmp_path / "walk.db"), log_level="WARNING")
    with simulator_in_thread(settings) as running:
        script = walkthrough(running.base_url)
        wrong_key = script.replace("pass-key: 2c7b2893-e49f-4cf3-89e6-1b9c5bf0500b", "pass-key: not-the-key")
        assert wrong_key != script
        result = run(wrong_key)
    assert result.returncode != 0
    assert result.stdout == ""  # nothing after step 1 ran
    assert '{"success":false,"errors":[{"code":"110","cause":"UNAUTHORIZED"}]}' in result.stderr
    assert "Traceback" not in result.stderr
