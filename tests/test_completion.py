"""Shell completion of `onekyc-sim`: the hook `onekyc-sim completion SHELL` prints, run by a real bash,
completes subcommands and flags; the argcomplete protocol the zsh and fish hooks use answers the same."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "onekyc-sim"), *args], capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})}
    )


def complete(line: str) -> list[str]:
    """What `onekyc-sim` proposes for the command line `line` (cursor at its end), as a shell hook asks it."""
    answer = cli(
        env={
            "_ARGCOMPLETE": "1",
            "_ARGCOMPLETE_IFS": "\n",
            "_ARGCOMPLETE_SUPPRESS_SPACE": "1",
            "COMP_LINE": line,
            "COMP_POINT": str(len(line)),
            "_ARGCOMPLETE_STDOUT_FILENAME": "/dev/stdout",
        }
    )
    assert answer.returncode == 0, answer.stderr
    return sorted(word.strip() for word in answer.stdout.splitlines() if word.strip())


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nospace -o default -o bashdefault -F _python_argcomplete onekyc-sim"),
        ("zsh", "#compdef onekyc-sim"),
        ("fish", "complete --command onekyc-sim"),
    ],
)
def test_the_completion_command_prints_each_shells_hook(shell: str, marker: str) -> None:
    result = cli("completion", shell)
    assert result.returncode == 0, result.stderr
    assert marker in result.stdout


def test_subcommands_flags_and_choices_complete() -> None:
    assert complete("onekyc-sim s") == ["scenarios", "serve"]
    assert complete("onekyc-sim serve --data") == ["--database"]
    assert complete("onekyc-sim serve --log-format ") == ["json", "text"]
    assert {"list", "schema", "show", "validate"} <= set(complete("onekyc-sim scenarios "))
    assert {"bash", "fish", "zsh"} <= set(complete("onekyc-sim completion "))


def test_every_serve_flag_completes() -> None:
    flags = set(complete("onekyc-sim serve --"))
    assert {"--port", "--database", "--config", "--scenarios", "--frozen-clock", "--admin-token", "--help"} <= flags
    assert len(flags) >= 20


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_bash_hook_completes_in_a_real_bash() -> None:
    script = (
        'eval "$(onekyc-sim completion bash)"\n'
        'COMP_LINE="onekyc-sim serve --data"; COMP_POINT=${#COMP_LINE}\n'
        "COMP_WORDS=(onekyc-sim serve --data); COMP_CWORD=2\n"
        "_python_argcomplete onekyc-sim --data serve\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["--database"]
