"""What a company checks before adopting the simulator: the licence, the changelog, install instructions
that work today, and a `make` that says what it is doing."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tomllib
from importlib.metadata import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The Apache License 2.0 exactly as apache.org publishes it (LICENSE-2.0.txt).
APACHE_2_0_MD5 = "3b83ef96387f14655fc854ddc3c6bd57"


def test_the_licence_is_the_apache_2_0_text_and_pyproject_says_so() -> None:
    licence = (ROOT / "LICENSE").read_bytes()
    assert hashlib.md5(licence, usedforsecurity=False).hexdigest() == APACHE_2_0_MD5
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]
    assert metadata("onekyc-sim")["License-Expression"] == "Apache-2.0"


def test_the_changelog_follows_keep_a_changelog_and_starts_with_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert changelog.startswith("# Changelog\n")
    assert "https://keepachangelog.com/en/1.1.0/" in changelog
    releases = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d\d-\d\d))?$", changelog, re.MULTILINE)
    assert releases[0] == ("Unreleased", "")
    assert releases[1][0] == version
    assert releases[1][1]
    first = changelog.split(f"## [{version}]", 1)[1]
    assert "### Added" in first
    for feature in ("Token Gateway", "IAB Gateway", "/_sim", "Scenarios", "pytest plugin", "dashboard"):
        assert feature in first, feature
    assert f"[{version}]: " in changelog


def test_the_readme_installs_what_exists_today() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    # No bare `pip install onekyc-sim` while the package is not on PyPI (a `[extra]` or ` @ url` form is fine).
    assert not re.search(r"pip install onekyc-sim(?![\[\w-]| @)", readme)
    section = readme[readme.index("## Install it in your project") :]
    section = section[: section.index("\n## ", 1)]
    assert "pip install /path/to/onekyc-sim" in section
    assert 'pip install "onekyc-sim @ git+https://' in section
    assert "pipx install" in section
    assert "[dev]" in section
    assert "LICENSE" in section


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_says_what_each_install_step_does(tmp_path: Path) -> None:
    # A stand-in for python3: `-m venv DIR` makes DIR/bin/python, a stub that logs how it was called.
    calls = tmp_path / "calls.log"
    fake = tmp_path / "python3"
    fake.write_text(
        "#!/bin/sh\n"
        f'if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin"; cp "$0" "$3/bin/python"; exit 0; fi\n'
        f'echo "$*" >> {calls}\n'
    )
    fake.chmod(0o755)
    venv = tmp_path / "venv"
    env = {**os.environ, "MAKEFLAGS": ""}
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "venv", f"VENV={venv}", f"PYTHON={fake}"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"make: creating {venv} (a virtual environment for this checkout)",
        f"make: upgrading pip in {venv}",
        f"make: installing onekyc-sim[dev] into {venv}, editable (about 30 s the first time)",
        f"make: {venv} is ready ({venv}/bin/onekyc-sim)",
    ]
    assert calls.read_text().splitlines() == [
        "-m pip install --quiet --upgrade pip",
        "-m pip install --quiet -e .[dev]",
    ]
