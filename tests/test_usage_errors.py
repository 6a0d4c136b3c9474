"""Mistakes a first-time user makes, found by a fresh-eyes tester: each ends in two lines (what is wrong,
what to do) and exit status 2, never a traceback or the whole usage block; and `--port 0` says the real port."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from test_startup_errors import announced, serve, two_lines

from simulator.cli import main
from simulator.scenarios.loader import BUILTIN_DIR
from simulator.settings import Settings
from simulator.testing_server import simulator_in_thread


@pytest.mark.parametrize(
    ("args", "env", "says", "remedy_says"),
    [
        (["--log-level", "LOUD"], {}, "--log-level='LOUD': not a log level", "--log-level"),
        ([], {"ONEKYC_SIM_LOG_LEVEL": "LOUD"}, "ONEKYC_SIM_LOG_LEVEL='LOUD': not a log level", "ONEKYC_SIM_LOG_LEVEL"),
        (["--public-base-url", "not a url"], {}, "not an absolute http(s) URL", "--public-base-url"),
        (["--public-base-url", "ftp://x"], {}, "not an absolute http(s) URL", "--public-base-url"),
        (["--public-base-url", "http://h:99999"], {}, "with a valid port", "--public-base-url"),
        (["--port", "abc"], {}, "argument --port: invalid int value: 'abc'", "serve --help"),
        (["--callback-retry-schedule", "5,x"], {}, "not a comma-separated list of seconds", "serve --help"),
        (["--host", "999.1.1.1", "--admin-token", "t"], {}, "'999.1.1.1' cannot be resolved", "--host"),
        ([], {"ONEKYC_SIM_IMAGE_FORMATS": "GIF"}, "ONEKYC_SIM_IMAGE_FORMATS: not valid JSON", '["JPEG", "PNG"]'),
        (
            [],
            {"ONEKYC_SIM_DATABASE": "mysql://u:p@h/db"},
            "SQLite and PostgreSQL only, not mysql",
            "postgresql+asyncpg://",
        ),
    ],
)
def test_a_bad_value_is_two_lines(args: list[str], env: dict[str, str], says: str, remedy_says: str) -> None:
    result = serve(*args, env=env)
    problem, remedy = two_lines(result)
    assert says in problem
    assert remedy_says in remedy
    assert "usage:" not in result.stderr
    assert "Pick another port" not in remedy


def test_equal_token_port_and_port_are_refused_up_front() -> None:
    problem, remedy = two_lines(serve("--port", "8123", "--token-port", "8123"))
    assert "--token-port and --port are both 8123" in problem
    assert "--token-port" in remedy


def test_port_0_says_and_serves_the_port_it_got(tmp_path: Path) -> None:
    with announced("--port", "0", "--database", str(tmp_path / "s.db")) as line:
        url = line.split("serving on ")[1].split()[0]
        assert not url.endswith(":0"), line
        assert httpx.get(f"{url}/_sim/health", timeout=10).status_code == 200


def test_a_scenario_file_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "b.yaml").write_bytes(b"\xff\xfe")
    assert main(["scenarios", "validate", str(tmp_path / "b.yaml")]) == 1
    assert "b.yaml: not UTF-8 text" in capsys.readouterr().err
    assert main(["scenarios", "show", str(tmp_path / "b.yaml")]) == 1
    assert "not UTF-8 text" in capsys.readouterr().err
    problem, remedy = two_lines(serve("--scenarios", str(tmp_path), "--database", str(tmp_path / "s.db")))
    assert "b.yaml: not UTF-8 text" in problem
    assert "--database" not in problem + remedy


def test_validate_an_empty_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "validate", str(tmp_path)]) == 2
    assert f"no scenario files (*.yaml, *.yml) in {tmp_path}" in capsys.readouterr().err


def test_a_shipped_name_or_magic_user_id_reused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "spoof2.yaml").write_text((BUILTIN_DIR / "spoof.yaml").read_text())
    assert main(["scenarios", "validate", str(mine)]) == 1
    assert f"{mine / 'spoof2.yaml'}: name: 'spoof' is used by 2 files" in capsys.readouterr().err
    problem, remedy = two_lines(serve("--scenarios", str(mine), "--database", str(tmp_path / "s.db")))
    assert "spoof2.yaml: name: 'spoof'" in problem
    assert f"validate {mine / 'spoof2.yaml'}" in remedy
    text = (BUILTIN_DIR / "spoof.yaml").read_text().replace("name: spoof", "name: my-spoof")
    (mine / "spoof2.yaml").write_text(text)
    assert main(["scenarios", "validate", str(mine)]) == 1
    err = capsys.readouterr().err
    assert "spoof2.yaml: magic_user_id: " in err
    assert str(BUILTIN_DIR / "spoof.yaml") in err


def test_replay_counts_the_files_it_was_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text((BUILTIN_DIR / "spoof.yaml").read_text())
    main(["replay", str(tmp_path), str(BUILTIN_DIR / "liveness-pass.yaml")])
    assert "replaying 3 scenario file(s)" in capsys.readouterr().out


@pytest.mark.parametrize("junit", ["{tmp}", "/proc/nope/r.xml"])
def test_replay_checks_the_junit_path_first(junit: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(BUILTIN_DIR / "spoof.yaml"), "--junit", junit.format(tmp=tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "cannot write the JUnit XML" in captured.err
    assert len(captured.err.strip().splitlines()) == 2
    assert "replaying" not in captured.out


def _replay_lines(err: str) -> list[str]:
    """The replay command's own lines of `err`: its message and the line after it."""
    lines = err.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("onekyc-sim replay: "))
    return [line for line in lines[start : start + 2] if line.startswith(("onekyc-sim replay: ", "Replay "))]


def test_replay_needs_the_admin_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(database=str(tmp_path / "served.db"), log_level="WARNING", admin_token="t0ken")
    spoof = str(BUILTIN_DIR / "spoof.yaml")
    with simulator_in_thread(settings) as served:
        assert main(["replay", "--base-url", served.base_url, spoof, str(BUILTIN_DIR / "liveness-pass.yaml")]) == 2
        # (Only the replay's own lines: the served thread may log to a stream an earlier test configured.)
        err = _replay_lines(capsys.readouterr().err)
        assert err == [
            f"onekyc-sim replay: the simulator at {served.base_url} needs an admin token: "
            "pass --admin-token or set ONEKYC_SIM_ADMIN_TOKEN"
        ]
        assert main(["replay", "--base-url", served.base_url, "--admin-token", "wrong", spoof]) == 2
        assert _replay_lines(capsys.readouterr().err) == [
            f"onekyc-sim replay: the simulator at {served.base_url} refused the admin token given: "
            "check --admin-token or ONEKYC_SIM_ADMIN_TOKEN"
        ]
        monkeypatch.setenv("ONEKYC_SIM_ADMIN_TOKEN", "t0ken")
        assert main(["replay", "--base-url", served.base_url, spoof]) == 0, capsys.readouterr()


def test_replay_removes_its_bindings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(database=str(tmp_path / "served.db"), log_level="WARNING")
    with simulator_in_thread(settings) as served:
        assert main(["replay", "--base-url", served.base_url, str(BUILTIN_DIR / "spoof.yaml")]) == 0
        bindings = httpx.get(f"{served.base_url}/_sim/bindings", timeout=10).json()
    assert "replay-" not in str(bindings)


def test_replay_says_when_the_simulator_runs_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(database=str(tmp_path / "served.db"), log_level="WARNING", strict=True)
    with simulator_in_thread(settings) as served:
        assert main(["replay", "--base-url", served.base_url, str(BUILTIN_DIR / "spoof.yaml")]) == 2
    lines = _replay_lines(capsys.readouterr().err)
    assert len(lines) == 2
    assert f"the simulator at {served.base_url} runs with --strict" in lines[0]
    assert "without --strict" in lines[1]


def test_replay_of_a_directory_without_scenario_files_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"onekyc-sim replay: no scenario files (*.yaml, *.yml) in {tmp_path}",
        "Give a directory or files holding scenario files.",
    ]
