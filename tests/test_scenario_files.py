"""Scenario files: the shipped ones load, malformed ones are rejected naming file, line and field, the schema.

The JSON Schema snapshot is tests/snapshots/scenario.schema.json. After a deliberate change to the
scenario models, refresh it with:

    .venv/bin/onekyc-sim scenarios schema > tests/snapshots/scenario.schema.json
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.scenarios.loader import BUILTIN_DIR, ScenarioFileError, builtin_scenarios, load_all, load_file
from simulator.scenarios.schema import json_schema, json_schema_text

SNAPSHOT = Path(__file__).parent / "snapshots" / "scenario.schema.json"
REQUIRED = {
    "liveness-pass",
    "spoof",
    "retry-then-pass",
    "slow-processing",
    "attempts-exhausted",
    "system-error",
    "callback-retried",
    "duplicate-callback",
    "reference-image-unreachable",
    "token-expired-mid-flow",
    "gateway-5xx-while-polling",
}


def test_the_shipped_scenarios_cover_the_design_list() -> None:
    names = {s.file.name for s in builtin_scenarios()}
    assert names >= REQUIRED
    assert all(s.path.stem == s.file.name for s in builtin_scenarios())


def test_magic_images_are_shipped_and_distinct() -> None:
    images = {s.file.name: s.script for s in builtin_scenarios() if s.file.magic_image}
    assert images["liveness-pass"].magic_image == "selfie-pass.jpg"
    sha = (BUILTIN_DIR / "images" / "selfie-pass.jpg").read_bytes()
    assert images["liveness-pass"].magic_image_sha256 == hashlib.sha256(sha).hexdigest()
    assert len({s.magic_image_sha256 for s in images.values()}) == len(images) >= 5


def test_the_repository_scenarios_dir_is_the_shipped_catalog() -> None:
    top = Path(__file__).resolve().parent.parent / "scenarios"
    assert top.resolve() == BUILTIN_DIR
    assert (top / "images" / "selfie-pass.jpg").is_file()


def test_the_readme_lists_every_shipped_scenario_with_its_magic_values() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Scenarios") :]
    for scenario in builtin_scenarios():
        script = scenario.script
        row = next((line for line in section.splitlines() if line.startswith(f"| `{script.name}` |")), None)
        assert row is not None, f"README's scenario table lacks {script.name}"
        assert (f"`{script.magic_user_id}…`" if script.magic_user_id else "| — |") in row
        assert (f"`{script.magic_image}`" if script.magic_image else "— |") in row


def test_json_schema_matches_the_snapshot() -> None:
    assert SNAPSHOT.read_text(encoding="utf-8") == json_schema_text(), (
        "the scenario JSON Schema changed; if that is intended, refresh the snapshot with "
        "`.venv/bin/onekyc-sim scenarios schema > tests/snapshots/scenario.schema.json`"
    )


def test_schema_documents_every_field() -> None:
    schema = json_schema()
    undocumented = [
        f"{name}.{field}"
        for name, definition in [("ScenarioFile", schema), *schema["$defs"].items()]
        for field, spec in definition.get("properties", {}).items()
        if not spec.get("description")
    ]
    assert undocumented == []


def _write(tmp_path: Path, text: str, name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "name: x\ndescription: d\nattempts:\n  - outcome: PASS\n  - outcome: SPOOF\n",
            "broken.yaml:5: attempts.1.outcome: Input should be 'PASS'",
        ),
        (
            "name: x\ndescription: d\nattempts:\n  - outcome: PASS\n    after_secs: 2\n",
            "broken.yaml:5: attempts.0.after_secs: Extra inputs are not permitted",
        ),
        (
            "name: x\ndescription: d\nfaults:\n  - endpoint: status\n    status: 302\n",
            "broken.yaml:5: faults.0.status: Input should be greater than or equal to 400",
        ),
        (
            "name: x\ndescription: d\nexpect:\n  attempts:\n    - polls:\n"
            "        - {status: COMPLETED, nextAction: EXIT}\n",
            "broken.yaml:6: expect.attempts.0.polls.0.nextAction: Extra inputs are not permitted",
        ),
        ("description: d\n", "broken.yaml:1: name: Field required"),
        ("name: x\ndescription: d\nmagic_image: images/none.jpg\n", "broken.yaml: magic_image: no such file"),
        ("- just\n- a list\n", "broken.yaml: (file): a scenario file is a YAML mapping"),
        ("name: [unclosed\n", "broken.yaml:2:1: not valid YAML: while parsing a flow sequence; expected ',' or ']'"),
        (
            "name: x\ndescription: d\nattempts:\n  - outcome: PASS\n   after: 3\n",
            "broken.yaml:5:4: not valid YAML: while parsing a block collection",
        ),
    ],
)
def test_malformed_files_name_the_file_line_and_field(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ScenarioFileError) as caught:
        load_file(_write(tmp_path, text))
    assert problem in str(caught.value)


def test_all_problems_of_all_files_are_reported(tmp_path: Path) -> None:
    _write(tmp_path, "name: a\ndescription: d\n", "a.yaml")
    _write(tmp_path, "name: a\ndescription: d\n", "b.yaml")
    _write(tmp_path, "name: c\ndescription: d\nmax_attempts: 0\nfaults: 3\n", "c.yaml")
    loaded, failed = load_all([tmp_path])
    assert loaded == []
    messages = "\n".join(str(e) for e in failed)
    assert "c.yaml:3: max_attempts: Input should be greater than or equal to 1" in messages
    assert "c.yaml:4: faults: Input should be a valid list" in messages
    [duplicate] = [e for e in failed if e.name == "a"]
    assert duplicate.located() == [
        f"b.yaml: name: 'a' is used by 2 files ({tmp_path / 'a.yaml'}, {tmp_path / 'b.yaml'}); it must be unique"
    ]


def test_cli_validate_list_show_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "validate"]) == 0
    assert "ok  " in capsys.readouterr().out

    broken = _write(tmp_path, "name: x\ndescription: d\nattempts: []\n")
    assert main(["scenarios", "validate", str(broken)]) == 1
    assert "broken.yaml:3: attempts: List should have at least 1 item" in capsys.readouterr().err

    assert main(["scenarios", "list"]) == 0
    listing = capsys.readouterr().out
    assert "spoof\n" in listing
    assert "magic: user id SIM_SPOOF*, selfie-spoof.jpg" in listing
    assert "fault status call 2, 3: HTTP 500 900 SOMETHING_WENT_WRONG" in listing

    assert main(["scenarios", "show", "retry-then-pass"]) == 0
    shown = capsys.readouterr().out
    assert "magic image sha256:" in shown
    assert "name: retry-then-pass" in shown
    assert main(["scenarios", "show", "no-such"]) == 1
    assert "shipped ones: attempts-exhausted" in capsys.readouterr().err

    assert main(["scenarios", "schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "ScenarioFile"
