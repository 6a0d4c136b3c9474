"""The bench's table: figures per phase and each goal with its measured value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Goal:
    name: str
    value: float | None
    op: str
    target: float

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.target if self.op == ">=" else self.value <= self.target

    def as_dict(self) -> dict[str, Any]:
        return {"goal": self.name, "value": self.value, "target": f"{self.op} {self.target}", "met": self.met}


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [headers, *[[_fmt(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        for row in cells
    ]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def print_report(results: dict[str, Any]) -> None:
    poll, flows = results["statusPoll"], results["flows"]
    soak = poll["soak"]
    load_rows = [
        [
            "floor (status shape)",
            poll["floor"]["rps"],
            poll["floor"]["p50_ms"],
            poll["floor"]["p99_ms"],
            poll["floor"]["errors"],
        ],
        [
            "status poll, IN_PROGRESS",
            poll["status"]["rps"],
            poll["status"]["p50_ms"],
            poll["status"]["p99_ms"],
            poll["status"]["errors"],
        ],
        [
            f"soak {soak['sessions']} sessions @1 Hz, {soak['seconds']} s",
            soak["rps"],
            soak["p50_ms"],
            soak["p99_ms"],
            soak["errors"],
        ],
        [
            "floor (flow connections)",
            flows["floor"]["rps"],
            flows["floor"]["p50_ms"],
            flows["floor"]["p99_ms"],
            flows["floor"]["errors"],
        ],
        [
            "full flows (all requests)",
            flows["throughput"]["rps"],
            flows["throughput"]["p50_ms"],
            flows["throughput"]["p99_ms"],
            flows["throughput"]["errors"],
        ],
    ]
    print(_table(["load", "rps", "p50 ms", "p99 ms", "errors"], load_rows))
    callbacks, rss = flows["callbacks"], flows["rss"]
    other = [
        ["flows per second", flows["flowsPerSecond"]],
        ["requests per flow (polls)", f"{_fmt(flows['requestsPerFlow'])} ({_fmt(flows['pollsPerFlow'])})"],
        ["callback latency p50 / p99 ms", f"{_fmt(callbacks['p50Ms'])} / {_fmt(callbacks['p99Ms'])}"],
        ["callbacks received / missing", f"{_fmt(callbacks['received'])} / {_fmt(callbacks['missing'])}"],
        [f"RSS ready -> after {rss['flows']:,} flows (MB)", f"{rss['readyMb']:.1f} -> {rss['endMb']:.1f}"],
        ["start to ready (s), poll / flow server", f"{poll['readySeconds']:.2f} / {flows['readySeconds']:.2f}"],
    ]
    print()
    print(_table(["figure", "value"], other))
    print()
    goal_rows = [
        [g["goal"], g["value"], g["target"], {True: "met", False: "MISSED", None: "-"}[g["met"]]]
        for g in results["goals"]
    ]
    print(_table(["goal", "measured", "target", ""], goal_rows))
