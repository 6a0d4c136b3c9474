"""What QA can say in a scenario file: gateway faults with headers, callback answers and final states,
identical duplicates, errorMessage, Get Submission Details fields; duplicate names, YAML errors, the
precedence of a scenario's timing over --processing-delay-seconds.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from conftest import BASE_URL, Sim

from simulator.cli import main
from simulator.replay.runner import replay_scenarios
from simulator.scenarios.loader import BUILTIN_DIR, load_file
from simulator.scenarios.schema import json_schema_text
from simulator.settings import Settings

ONE_PASS = "attempts:\n  - outcome: PASS\n    after_seconds: 2\n"


def _write(tmp_path: Path, name: str, body: str, file_name: str | None = None) -> Path:
    path = tmp_path / (file_name or f"{name}.yaml")
    path.write_text(f"name: {name}\ndescription: d\n{body}", encoding="utf-8")
    return path


async def _replay(sim: Sim, path: Path) -> tuple[Any, str]:
    out = io.StringIO()
    [outcome] = await replay_scenarios([load_file(path)], sim.http, out=out)
    return outcome, out.getvalue()


# -- faults -----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_gateway_fault_answers_with_the_gateway_body_and_retry_after(sim: Sim) -> None:
    script = {
        "attempts": [{"outcome": "PASS", "after_seconds": 5}],
        "faults": [
            {"endpoint": "status", "on_calls": [1], "status": 503, "headers": {"Retry-After": "7"}},
            {"endpoint": "status", "on_calls": [2], "status": 429, "headers": {"Retry-After": 1}},
            {"endpoint": "status", "on_calls": [3], "status": 500, "headers": {"Retry-After": "2"}},
        ],
    }
    bound = await sim.http.put("/_sim/bindings/gw-1", json={"scenario": "gw", "script": script})
    assert bound.status_code in (200, 201), bound.text
    vendor = sim.vendor()
    sdk = await vendor.launch("gw-1")
    submission_id = await vendor.capture(sdk)

    first = await vendor.status(sdk, submission_id)
    assert (first.status_code, first.json(), first.headers["retry-after"]) == (
        503,
        {"message": "Service Unavailable"},
        "7",
    )
    assert first.headers["content-type"] == "application/json"
    second = await vendor.status(sdk, submission_id)
    assert (second.status_code, second.json(), second.headers["retry-after"]) == (
        429,
        {"message": "Too Many Requests"},
        "1",
    )
    third = await vendor.status(sdk, submission_id)  # documented for status: the vendor's own body
    assert third.status_code == 500
    assert third.json()["errors"][0] == {"code": "900", "cause": "SOMETHING_WENT_WRONG"}
    assert third.headers["retry-after"] == "2"
    assert (await vendor.status(sdk, submission_id)).status_code == 200


@pytest.mark.anyio
async def test_replay_honours_retry_after_and_checks_gateway_answers(sim: Sim, tmp_path: Path) -> None:
    outcome, report = await _replay(sim, BUILTIN_DIR / "gateway-503-while-polling.yaml")
    assert outcome.passed, report
    wrong = _write(
        tmp_path,
        "gw-wrong",
        "attempts:\n  - outcome: PASS\n    after_seconds: 4\n"
        "faults:\n  - {endpoint: status, on_calls: [2], status: 504, headers: {Retry-After: '3'}}\n"
        "expect:\n  attempts:\n    - polls:\n        - {status: IN_PROGRESS}\n"
        "        - {http: 504, message: Bad Gateway, retry_after: '9'}\n        - {status: COMPLETED}\n",
    )
    outcome, report = await _replay(sim, wrong)
    assert [(m.step, m.expected, m.actual) for m in outcome.mismatches] == [
        (
            "attempt 1, poll 2",
            "{http: 504, message: Bad Gateway, retry_after: 9}",
            "{http: 504, message: Endpoint request timed out, retry_after: 3}  (HTTP 504 'Endpoint request timed out')",
        )
    ]


# -- expectations -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_callback_answers_and_final_states_are_checked(sim: Sim, tmp_path: Path) -> None:
    given_up = _write(
        tmp_path,
        "cb-given-up",
        ONE_PASS + "replay:\n  callback_answers: [500, 502, 503, 500, 500, 500]\n"
        "expect:\n  callbacks:\n" + "    - {answered: 500}\n" * 6 + "  callback_outcomes:\n"
        "    - {attempt: 1, cause: completion, state: given_up, answers: [500, 502, 503, 500, 500, 500]}\n",
    )
    outcome, report = await _replay(sim, given_up)
    assert [(m.step, m.expected, m.actual) for m in outcome.mismatches] == [
        ("callback 2", "{answered: 500}", "{answered: 502}"),
        ("callback 3", "{answered: 500}", "{answered: 503}"),
    ], report

    wrong = _write(
        tmp_path,
        "cb-wrong",
        ONE_PASS + "replay:\n  callback_answers: [500]\n"
        "expect:\n  callback_outcomes:\n    - {state: given_up, answers: [500]}\n",
    )
    outcome, _ = await _replay(sim, wrong)
    assert [(m.step, m.expected, m.actual) for m in outcome.mismatches] == [
        ("callback outcome 1", "{state: given_up, answers: [500]}", "{state: delivered, answers: [500, 200]}")
    ]


@pytest.mark.anyio
async def test_duplicates_identical_is_checked_on_the_bytes(sim: Sim, tmp_path: Path) -> None:
    outcome, report = await _replay(sim, BUILTIN_DIR / "duplicate-callback.yaml")
    assert outcome.passed, report
    assert outcome.run.callbacks[0].raw == outcome.run.callbacks[1].raw != b""
    claims_different = _write(
        tmp_path,
        "dup-differ",
        "attempts:\n  - outcome: PASS\n    after_seconds: 2\n    callback: {duplicates: 2}\n"
        "expect:\n  duplicates_identical: false\n",
    )
    outcome, _ = await _replay(sim, claims_different)
    assert [(m.step, m.expected) for m in outcome.mismatches] == [("duplicates identical", "a body that differs")]


@pytest.mark.anyio
async def test_error_message_and_details_fields_are_checked(sim: Sim, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "fields",
        "attempts:\n  - outcome: ERROR\n    error_message: Face detection failed\n    after_seconds: 1\n"
        "expect:\n  attempts:\n    - polls:\n        - {status: IN_PROGRESS}\n"
        "        - {status: ERROR, error_message: Something else}\n"
        "      final:\n        status: ERROR\n        fields: {reasonCode: VERIFICATION_FAILED, result: null}\n"
        "  details:\n    fields:\n      submissionDetails.verificationResults.liveness.result: true\n"
        "      flow: STANDALONE_LIVENESS\n",
    )
    outcome, report = await _replay(sim, path)
    assert [(m.step, m.expected, m.actual) for m in outcome.mismatches] == [
        (
            "attempt 1, poll 2",
            "{status: ERROR, error_message: Something else}",
            "{status: ERROR, error_message: Face detection failed}",
        ),
        (
            "details",
            "{submissionDetails.verificationResults.liveness.result: true, flow: STANDALONE_LIVENESS}",
            "{submissionDetails.verificationResults.liveness.result: (absent), flow: STANDALONE_LIVENESS}",
        ),
    ], report


@pytest.mark.anyio
async def test_details_fields_match_face_match_and_reference_validation(sim: Sim, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "ref-fields",
        ONE_PASS + "replay:\n  reference_image: not-an-image\n"
        "expect:\n  details:\n    result: INVALID\n    fields:\n"
        "      submissionDetails.verificationResults.referenceImageValidation.ktp.verificationResult: false\n"
        "      submissionDetails.verificationResults.referenceImageValidation.ktp.verificationReasonCode: NOT_EKTP\n"
        "      submissionDetails.verificationResults.faceMatch: null\n",
    )
    outcome, report = await _replay(sim, path)
    assert outcome.passed, report


# -- files ------------------------------------------------------------------------------------


def test_two_files_with_one_name_are_refused_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, "twin", ONE_PASS, "a.yaml")
    _write(tmp_path, "twin", ONE_PASS, "b.yaml")
    assert main(["replay", str(tmp_path)]) == 1
    report = capsys.readouterr().out
    assert "replaying 2 scenario file(s)" in report
    assert report.count("ERROR twin") == 1
    assert f"b.yaml: name: 'twin' is used by 2 files ({tmp_path / 'a.yaml'}, {tmp_path / 'b.yaml'})" in report
    assert "1 scenario(s), 1 failed: twin" in report


def test_replay_error_lines_name_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "broken.yaml").write_text("name: x\ndescription: d\nattempts: [\n", encoding="utf-8")
    _write(tmp_path, "typo", "attempts:\n  - outcome: MAYBE\n")
    assert main(["replay", str(tmp_path)]) == 1
    report = capsys.readouterr().out
    assert "error     broken.yaml:4:1: not valid YAML" in report
    assert "<unicode string>" not in report
    assert "error     typo.yaml:4: attempts.0.outcome: Input should be" in report


def test_description_is_required(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nodesc.yaml"
    path.write_text("name: nodesc\n" + ONE_PASS, encoding="utf-8")
    assert main(["scenarios", "validate", str(path)]) == 1
    assert "nodesc.yaml:1: description: Field required" in capsys.readouterr().err
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "`description` (required)" in readme


def test_readme_gives_cumulative_callback_retry_times() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert (
        "| since the first attempt (default) | 0 s | 10 s | 40 s | 2 min 40 s | 12 min 40 s | 42 min 40 s |" in readme
    )


# -- timing precedence ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_scenarios_timing_overrides_the_processing_delay(sim_factory: Any, tmp_path: Path) -> None:
    settings = Settings(
        database=str(tmp_path / "slow.db"),
        public_base_url=BASE_URL,
        frozen_clock=True,
        processing_delay_seconds=100,
        log_level="WARNING",
    )
    sim: Sim = await sim_factory(settings)
    scripts = {
        "by-seconds": {"attempts": [{"after_seconds": 3}]},
        "by-polls": {"attempts": [{"after_polls": 2}]},
        "default": {"attempts": [{}]},
    }
    vendor = sim.vendor()
    sessions = {}
    for name, script in scripts.items():
        await sim.http.put(f"/_sim/bindings/{name}", json={"scenario": name, "script": script})
        sdk = await vendor.launch(name)
        sessions[name] = (sdk, await vendor.capture(sdk))

    async def status(name: str) -> str:
        sdk, submission_id = sessions[name]
        data: dict[str, Any] = (await vendor.status(sdk, submission_id)).json()["data"]
        return str(data["status"])

    await sim.advance(3)
    assert await status("by-seconds") == "COMPLETED"
    assert [await status("by-polls"), await status("by-polls")] == ["IN_PROGRESS", "COMPLETED"]
    assert await status("default") == "IN_PROGRESS"
    await sim.advance(97)
    assert await status("default") == "COMPLETED"


def test_the_help_states_the_precedence(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "of attempts whose scenario sets no after_seconds / after_polls" in help_text
    assert "after confirm, whatever --processing-delay-seconds says" in json_schema_text()
