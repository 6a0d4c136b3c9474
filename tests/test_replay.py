"""The replay runner: every shipped scenario replays green; a wrong expectation fails, saying where and why."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import Sim

from simulator.cli import main
from simulator.replay.runner import replay_scenarios
from simulator.scenarios.loader import BUILTIN_DIR, LoadedScenario, builtin_scenarios, load_file
from simulator.settings import Settings
from simulator.testing_server import simulator_in_thread

SHIPPED = builtin_scenarios()


def _copy_with(tmp_path: Path, name: str, old: str, new: str) -> Path:
    """A QA engineer's copy of a shipped scenario with one line changed (its magic image stays the shipped one)."""
    text = (BUILTIN_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1
    text = text.replace(old, new).replace(f"name: {name}", f"name: my-{name}")
    path = tmp_path / f"my-{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.anyio
@pytest.mark.parametrize("scenario", SHIPPED, ids=[s.file.name for s in SHIPPED])
async def test_every_shipped_scenario_replays_green(sim: Sim, scenario: LoadedScenario) -> None:
    out = io.StringIO()
    [outcome] = await replay_scenarios([scenario], sim.http, out=out)
    assert outcome.passed, out.getvalue()
    assert outcome.run is not None
    assert outcome.run.attempts
    assert f"PASS  {scenario.file.name}" in out.getvalue()


@pytest.mark.anyio
async def test_a_wrong_expectation_names_the_step_expected_and_actual(sim: Sim, tmp_path: Path) -> None:
    path = _copy_with(
        tmp_path,
        "retry-then-pass",
        '      final: {status: COMPLETED, result: VALID, reason_code: ""}',
        "      final: {status: COMPLETED, result: VALID, reason_code: NOT_LIVE}",
    )
    out = io.StringIO()
    [outcome] = await replay_scenarios([load_file(path)], sim.http, out=out)
    assert not outcome.passed
    assert [(m.step, m.expected, m.actual) for m in outcome.mismatches] == [
        (
            "attempt 2, final",
            "{status: COMPLETED, result: VALID, reason_code: NOT_LIVE}",
            '{status: COMPLETED, result: VALID, reason_code: ""}',
        )
    ]
    assert outcome.mismatches[0].request is not None
    assert "x-submission-id:" in outcome.mismatches[0].request
    report = out.getvalue()
    assert "FAIL  my-retry-then-pass" in report
    assert "attempt 2, final\n        expected  {status: COMPLETED, result: VALID, reason_code: NOT_LIVE}" in report


@pytest.mark.anyio
async def test_missing_and_extra_observations_are_reported(sim: Sim, tmp_path: Path) -> None:
    path = _copy_with(
        tmp_path,
        "spoof",
        "    after_seconds: 2\n",
        "    after_seconds: 2\nmax_attempts: 2\n",
    )
    [outcome] = await replay_scenarios([load_file(path)], sim.http)
    steps = {m.step: m for m in outcome.mismatches}
    assert steps["attempts"].expected == "3 attempt(s)"
    assert steps["attempts"].actual == "2 attempt(s)"
    assert steps["attempt 2, poll 3"].actual == "{status: COMPLETED, next_action: EXIT}"
    assert steps["callback 3"].actual == "nothing: 2 callback(s) in all"


def test_cli_replay_writes_a_report_and_junit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wrong = _copy_with(tmp_path, "gateway-5xx-while-polling", "    on_calls: [2, 3]", "    on_calls: [2]")
    junit = tmp_path / "reports" / "replay.xml"
    code = main(["replay", str(BUILTIN_DIR / "liveness-pass.yaml"), str(wrong), "--junit", str(junit)])
    report = capsys.readouterr().out
    assert code == 1
    assert "replaying 2 scenario file(s) against a fresh in-process simulator" in report
    assert "[1/2] PASS  liveness-pass" in report
    assert "[2/2] FAIL  my-gateway-5xx-while-polling" in report
    assert "attempt 1, poll 3\n        expected  {http: 500, code: 900, cause: SOMETHING_WENT_WRONG}" in report
    assert "2 scenario(s), 1 failed: my-gateway-5xx-while-polling" in report
    suite = ET.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "0")
    failure = suite.find("testcase[@name='my-gateway-5xx-while-polling']/failure")
    assert failure is not None
    assert failure.get("message", "").startswith("attempt 1, poll 3: expected {http: 500")


def test_cli_replay_reports_invalid_files_and_passes_valid_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.yaml").write_text("name: bad\ndescription: d\nattempts: [{outcome: MAYBE}]\n", encoding="utf-8")
    assert main(["replay", str(tmp_path), str(BUILTIN_DIR / "spoof.yaml")]) == 1
    report = capsys.readouterr().out
    assert "ERROR bad" in report
    assert "attempts.0.outcome" in report
    assert "PASS  spoof" in report


@pytest.mark.e2e
def test_cli_replay_against_a_running_simulator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(database=str(tmp_path / "served.db"), log_level="WARNING")
    with simulator_in_thread(settings) as served:
        paths = [str(BUILTIN_DIR / f"{name}.yaml") for name in ("flaky-network", "callback-retried")]
        code = main(["replay", "--base-url", served.base_url, *paths])
    report = capsys.readouterr().out
    assert code == 0, report
    assert f"against {served.base_url}" in report
    assert "2 scenario(s), all passed" in report


def test_cli_replay_says_when_the_simulator_is_unreachable(capsys: pytest.CaptureFixture[str]) -> None:
    from simulator.testing_server import free_port

    url = f"http://127.0.0.1:{free_port()}"
    assert main(["replay", "--base-url", url, str(BUILTIN_DIR / "spoof.yaml")]) == 2
    assert f"cannot reach the simulator at {url}" in capsys.readouterr().err
