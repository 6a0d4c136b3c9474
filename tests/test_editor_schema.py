"""Editor support for scenario files: the JSON Schema ships beside the shipped scenarios (in the repository
and the package), equals what `onekyc-sim scenarios schema` prints, every shipped scenario names it on its
first line for the YAML language server, and the README's VS Code snippet points at it.

After a deliberate change to the scenario models, `make schema` regenerates the file (and the test snapshot).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import jsonschema
import yaml

from simulator.scenarios.loader import BUILTIN_DIR, load_file

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = BUILTIN_DIR / "scenario.schema.json"
FIRST_LINE = "# yaml-language-server: $schema=scenario.schema.json"


def test_the_shipped_schema_is_what_the_command_prints() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "simulator", "scenarios", "schema"], capture_output=True, text=True, check=True
    ).stdout
    assert SCHEMA.read_text(encoding="utf-8") == printed, "the scenario models changed: run `make schema`"


def test_the_schema_is_in_the_package_and_at_the_repository_path() -> None:
    packaged = files("simulator.scenarios") / "builtin" / "scenario.schema.json"
    assert packaged.is_file()
    assert (ROOT / "scenarios" / "scenario.schema.json").read_text(encoding="utf-8") == SCHEMA.read_text("utf-8")


def test_every_shipped_scenario_names_the_schema_and_validates_against_it() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    scenario_files = sorted(BUILTIN_DIR.glob("*.yaml"))
    assert len(scenario_files) >= 11
    for path in scenario_files:
        text = path.read_text(encoding="utf-8")
        assert text.splitlines()[0] == FIRST_LINE, path.name
        named = FIRST_LINE.split("$schema=", 1)[1]
        assert (path.parent / named).resolve() == SCHEMA.resolve()
        assert (ROOT / "scenarios" / path.name).parent.joinpath(named).is_file()  # through the scenarios/ link too
        jsonschema.validate(yaml.safe_load(text), schema)
        assert load_file(path).file.name == path.stem  # the loader reads past the comment


def test_the_readme_gives_the_vscode_snippet_for_the_schema() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```jsonc\n(\{\n\s*\"yaml\.schemas\".*?)```", readme, re.DOTALL)
    assert block is not None, "README lacks the VS Code yaml.schemas snippet"
    settings = json.loads(re.sub(r"//.*", "", block.group(1)))
    [(schema_path, globs)] = settings["yaml.schemas"].items()
    assert (ROOT / schema_path).resolve() == SCHEMA.resolve()
    assert "scenarios/*.yaml" in globs
    assert FIRST_LINE in readme
    assert "make schema" in readme
