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
        return f"{value:,.{2 if abs(value) < 10 else digits}f}"
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


def _load_row(name: str, load: dict[str, Any]) -> list[Any]:
    return [name, load["rps"], load["p50_ms"], load["p99_ms"], load["errors"]]


def _pair(a: Any, b: Any) -> str:
    return f"{_fmt(a)} / {_fmt(b)}"


def print_report(results: dict[str, Any]) -> None:
    """Three tables on stdout: request loads, paced-flow figures beside the same-flow floor, and the goals."""
    poll, flows, floor = results["statusPoll"], results["flows"], results["sameFlowFloor"]
    soak = poll["soak"]
    load_rows = [
        _load_row("floor (status shape)", poll["floor"]),
        _load_row("status poll, IN_PROGRESS", poll["status"]),
        _load_row(f"soak {soak['sessions']} sessions @1 Hz, {soak['seconds']} s", soak),
        _load_row(f"paced flows, {flows['users']} users (all requests)", flows["load"]),
        _load_row("same-flow floor (all requests)", floor["load"]),
    ]
    print(_table(["load", "rps", "p50 ms", "p99 ms", "errors"], load_rows))
    callbacks, rss, verdict = flows["callbacks"], flows["rss"], flows["verdict"]
    ratio = flows["flowsPerSecond"] / floor["flowsPerSecond"] if floor["flowsPerSecond"] else None
    rows = [
        ["completed flows/s", flows["flowsPerSecond"], floor["flowsPerSecond"]],
        ["ratio to the same-flow floor", ratio, 1.0],
        ["server CPU ms per flow", flows["cpuMsPerFlow"], floor["cpuMsPerFlow"]],
        ["status polls per flow", flows["pollsPerFlow"], floor["pollsPerFlow"]],
        ["confirm -> verdict p50 / p99 ms", _pair(verdict["p50Ms"], verdict["p99Ms"]), "immediate"],
        ["completion -> callback p50 / p99 ms", _pair(callbacks["p50Ms"], callbacks["p99Ms"]), "-"],
        ["callbacks received / missing", _pair(callbacks["received"], callbacks["missing"]), "-"],
        [f"RSS ready -> after {rss['flows']:,} flows (MB)", f"{rss['readyMb']:.1f} -> {rss['endMb']:.1f}", "-"],
        ["start to ready (s), poll / flow server", _pair(poll["readySeconds"], flows["readySeconds"]), "-"],
    ]
    print()
    print(_table(["paced flow figure", "simulator", "same-flow floor"], rows))
    if len(rss["curve"]) > 1:
        print("\nRSS curve: " + ", ".join(f"{p['flows']:,} flows {p['rssMb']:.0f} MB" for p in rss["curve"]))
    print()
    goal_rows = [
        [g["goal"], g["value"], g["target"], {True: "met", False: "MISSED", None: "-"}[g["met"]]]
        for g in results["goals"]
    ]
    print(_table(["goal", "measured", "target", ""], goal_rows))
