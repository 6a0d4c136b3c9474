"""The partners' pytest plugin (`simulator.testing`), run the way a partner runs it: pytest in a subprocess.

The README's example is the file docs/examples/test_partner_example.py; it is run as is, and once with
a wrong expectation, which must fail.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "test_partner_example.py"

HELPERS = """
import pytest


@pytest.mark.onekyc_sim(max_attempts=1)
def test_marker_settings_and_quota(onekyc_sim):
    assert onekyc_sim.settings.max_attempts == 1
    onekyc_sim.bind_scenario("s-quota", "spoof")
    token = onekyc_sim.initiate_flow("s-quota")
    onekyc_sim.submit_selfie(token, "s-quota")
    onekyc_sim.advance(5)
    exhausted = onekyc_sim.http.get(
        "/coe/v1/submissions/urls",
        params={"submissionType": "STANDALONE_LIVENESS"},
        headers=onekyc_sim.sdk_headers(token, "s-quota"),
    )
    assert exhausted.status_code == 429


def test_frozen_clock_journal_and_retried_callback(onekyc_sim):
    callbacks = onekyc_sim.receive_callbacks(retry_schedule_seconds=[10])
    callbacks.script(500)
    token = onekyc_sim.initiate_flow("s-journal")
    submission_id = onekyc_sim.submit_selfie(token, "s-journal")
    assert onekyc_sim.status(token, "s-journal", submission_id)["status"] == "IN_PROGRESS"
    onekyc_sim.advance(5)
    assert [r.json()["submissionId"] for r in callbacks.wait_for(1)] == [submission_id]
    with pytest.raises(TimeoutError):
        callbacks.wait_for(2, timeout=0.2)
    onekyc_sim.advance(10)
    assert len(callbacks.wait_for(2)) == 2
    polls = onekyc_sim.requests(path=f"/coe/v1/submissions/{submission_id}/status")
    assert [p["status"] for p in polls] == [200]
    onekyc_sim.assert_requested(method="PUT", path="/coe/v1/submissions/urls", status=200, count=1)
    with pytest.raises(AssertionError):
        onekyc_sim.assert_requested(method="PUT", path="/coe/v1/submissions/urls", count=2)


def test_each_test_gets_a_fresh_simulator(onekyc_sim):
    assert onekyc_sim.requests(path="/coe-partner/v1/initiate-flow") == []
"""


def test_readme_shows_the_example_verbatim() -> None:
    readme = (ROOT / "README.md").read_text()
    assert EXAMPLE.read_text() in readme


def test_the_readme_example_passes_and_a_wrong_expectation_fails(pytester: pytest.Pytester) -> None:
    example = EXAMPLE.read_text()
    broken = example.replace('("COMPLETED", "INVALID")', '("COMPLETED", "VALID")')
    assert broken != example
    pytester.makepyfile(test_partner_example=example, test_broken_example=broken, test_helpers=HELPERS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*test_broken_example.py::test_a_spoofed_selfie_reaches_our_callback*"])


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    probe = (
        "import sys, simulator.testing; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'httpx', 'uvicorn', 'sqlalchemy', 'starlette', 'PIL'}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
