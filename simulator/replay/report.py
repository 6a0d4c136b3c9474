"""The replay report: a line per scenario as it finishes, the failed steps in detail, and JUnit XML.

PASS  liveness-pass            scenarios/liveness-pass.yaml   0.04 s
FAIL  retry-then-pass-copy     my-scenarios/retry.yaml        0.06 s
      attempt 2, poll 3
        expected  {status: COMPLETED, next_action: EXIT}
        got       {status: COMPLETED, next_action: RETRY}  (HTTP 200 COMPLETED / RETRY)
        request   GET /coe/v1/submissions/5f0c…/status
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from simulator.replay.checks import Mismatch
from simulator.replay.observed import Run
from simulator.scenarios.loader import BUILTIN_DIR


@dataclass
class Outcome:
    """How one scenario file replayed."""

    name: str
    path: Path
    seconds: float
    mismatches: list[Mismatch] = field(default_factory=list)
    error: str | None = None
    run: Run | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and not self.mismatches

    @property
    def label(self) -> str:
        return "PASS" if self.passed else ("ERROR" if self.error else "FAIL")


def _display(path: Path) -> str:
    if path.resolve().parent == BUILTIN_DIR:
        return f"(shipped) {path.name}"
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def details(outcome: Outcome) -> list[str]:
    """The lines under a failed scenario's line: each failed step, or the error; then the runner's notes."""
    lines: list[str] = []
    if outcome.error:
        lines.append(f"      error     {outcome.error}")
    for mismatch in outcome.mismatches:
        lines.append(f"      {mismatch.step}")
        lines.append(f"        expected  {mismatch.expected}")
        lines.append(f"        got       {mismatch.actual}")
        if mismatch.request:
            lines.append(f"        request   {mismatch.request}")
    if outcome.run is not None and not outcome.passed:
        lines.append(f"      partner session id {outcome.run.partner_session_id}")
        lines.extend(f"      note: {note}" for note in outcome.run.notes)
    return lines


def line(outcome: Outcome, index: int, total: int) -> str:
    width = len(str(total))
    counter = f"[{index:>{width}}/{total}]"
    return f"{counter} {outcome.label:<5} {outcome.name:<32} {outcome.seconds:5.2f} s  {_display(outcome.path)}"


def print_outcome(out: TextIO, outcome: Outcome, index: int, total: int) -> None:
    print(line(outcome, index, total), file=out)
    for text in details(outcome):
        print(text, file=out)
    out.flush()


def summary(outcomes: Sequence[Outcome], seconds: float) -> str:
    failed = [o for o in outcomes if not o.passed]
    verdict = "all passed" if not failed else f"{len(failed)} failed: {', '.join(o.name for o in failed)}"
    return f"{len(outcomes)} scenario(s), {verdict} ({seconds:.1f} s)"


def junit_xml(outcomes: Sequence[Outcome], seconds: float) -> bytes:
    """JUnit XML: one testsuite, one testcase per scenario file, a failure (or error) with the details."""
    suite = ET.Element(
        "testsuite",
        name="onekyc-sim replay",
        tests=str(len(outcomes)),
        failures=str(sum(1 for o in outcomes if o.mismatches and not o.error)),
        errors=str(sum(1 for o in outcomes if o.error)),
        time=f"{seconds:.3f}",
    )
    for outcome in outcomes:
        case = ET.SubElement(
            suite, "testcase", classname=_display(outcome.path), name=outcome.name, time=f"{outcome.seconds:.3f}"
        )
        if outcome.passed:
            continue
        text = "\n".join(line.strip() for line in details(outcome))
        if outcome.error:
            ET.SubElement(case, "error", message=outcome.error).text = text
        else:
            first = outcome.mismatches[0]
            message = f"{first.step}: expected {first.expected}, got {first.actual}"
            ET.SubElement(case, "failure", message=message).text = text
    ET.indent(suite)
    xml: bytes = ET.tostring(suite, encoding="utf-8", xml_declaration=True)
    return xml
