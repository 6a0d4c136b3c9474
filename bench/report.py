"""The bench's table: figures per phase and each goal with its measured value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Goal:
    """One goal of the speed issue: its measured `value`, compared with `op` to `target`; None when the
    figure was not measured, or is `judged=False` (e.g. an RSS growth over fewer flows than the goal names)."""

    name: str
    value: float | None
    op: str
    target: float
    judged: bool = True

    @property
    def met(self) -> bool | None:
        if self.value is None or not self.judged:
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


def _crashed(results: dict[str, Any]) -> list[str]:
    return [f"{key}: CRASHED - {phase['crashed']}" for key, phase in results.items() if _is_crash(phase)]


def _is_crash(phase: Any) -> bool:
    return isinstance(phase, dict) and "crashed" in phase


def _loads(results: dict[str, Any]) -> list[list[Any]]:
    poll, flows, floor = (results.get(k, {}) for k in ("statusPoll", "flows", "sameFlowFloor"))
    rows = []
    if "status" in poll:
        soak = poll["soak"]
        rows += [
            _load_row("floor (status shape)", poll["floor"]),
            _load_row("status poll, IN_PROGRESS", poll["status"]),
            _load_row(f"soak {soak['sessions']} sessions @1 Hz, {soak['seconds']} s", soak),
        ]
    if "load" in flows:
        rows.append(_load_row(f"paced flows, {flows['users']} users (all requests)", flows["load"]))
    if "load" in floor:
        rows.append(_load_row("same-flow floor (all requests)", floor["load"]))
    return rows


def _flow_rows(results: dict[str, Any]) -> list[list[Any]]:
    flows, floor = results.get("flows", {}), results.get("sameFlowFloor", {})
    if "load" not in flows:
        return []
    callbacks, rss, verdict = flows["callbacks"], flows["rss"], flows["verdict"]
    floor_rate = floor.get("flowsPerSecond")
    ratio = flows["flowsPerSecond"] / floor_rate if floor_rate else None
    return [
        ["completed flows/s", flows["flowsPerSecond"], floor_rate],
        ["ratio to the same-flow floor", ratio, 1.0],
        ["flows users saw to the end within the window", flows.get("flowsSeenByUsers"), floor.get("flowsSeenByUsers")],
        ["server CPU ms per flow", flows["cpuMsPerFlow"], floor.get("cpuMsPerFlow")],
        ["status polls per flow", flows["pollsPerFlow"], floor.get("pollsPerFlow")],
        ["confirm -> verdict p50 / p99 ms", _pair(verdict["p50Ms"], verdict["p99Ms"]), "immediate"],
        ["completion -> callback p50 / p99 ms", _pair(callbacks["p50Ms"], callbacks["p99Ms"]), "-"],
        [
            "callbacks received / missing / verdicts never came",
            f"{_pair(callbacks['received'], callbacks['missing'])} / {_fmt(callbacks.get('awaitingVerdict'))}",
            "-",
        ],
        [f"RSS ready -> after {rss['flows']:,} flows (MB)", f"{rss['readyMb']:.1f} -> {rss['endMb']:.1f}", "-"],
        [
            "RSS growth (MB): from ready / from the first measured point",
            _pair(rss["growthMb"], rss.get("growthAfterWarmupMb")),
            "-",
        ],
    ]


def _other_rows(results: dict[str, Any]) -> list[str]:
    lines = []
    ready = results.get("startToReady", {})
    if "freshSeconds" in ready:
        lines.append(
            f"start to ready (spawn -> first 200 of /_sim/health), median of {ready['runs']}: "
            f"fresh database {ready['freshSeconds']:.2f} s (CPU {ready['freshCpuSeconds']:.2f} s), "
            f"database at head {ready['restartSeconds']:.2f} s (CPU {ready['restartCpuSeconds']:.2f} s)"
        )
    scale = results.get("scaleOut", {})
    if "skipped" in scale:
        lines.append(f"scale-out: skipped, {scale['skipped']}")
    elif "ratio" in scale:
        one, two = scale["one"], scale["two"]
        lines.append(
            f"scale-out on PostgreSQL ({scale['server']}): one instance {one['flowsPerSecond']:.1f} flows/s "
            f"(CPU {_fmt(one['cpuMsPerFlow'])} ms/flow, {one['errors']} errors), two instances "
            f"{two['flowsPerSecond']:.1f} flows/s (CPU {_fmt(two['cpuMsPerFlow'])} ms/flow, {two['errors']} errors): "
            f"{_fmt(scale['ratio'])} x"
        )
    return lines


def print_report(results: dict[str, Any]) -> None:
    """Tables on stdout: request loads, paced-flow figures beside the same-flow floor, start to ready and
    scale-out, and the goals (met, MISSED, or - when not measured); a crashed phase is named as such."""
    for line in _crashed(results):
        print(line)
    loads = _loads(results)
    if loads:
        print(_table(["load", "rps", "p50 ms", "p99 ms", "errors"], loads))
    flow_rows = _flow_rows(results)
    if flow_rows:
        print()
        print(_table(["paced flow figure", "simulator", "same-flow floor"], flow_rows))
        curve = results["flows"]["rss"]["curve"]
        if len(curve) > 1:
            print("\nRSS curve: " + ", ".join(f"{p['flows']:,} flows {p['rssMb']:.0f} MB" for p in curve))
    print()
    for line in _other_rows(results):
        print(line)
    print()
    goal_rows = [
        [g["goal"], g["value"], g["target"], {True: "met", False: "MISSED", None: "-"}[g["met"]]]
        for g in results["goals"]
    ]
    print(_table(["goal", "measured", "target", ""], goal_rows))
