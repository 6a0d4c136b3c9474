"""The `onekyc-sim scenarios list|show|validate|schema` and `onekyc-sim replay` commands."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

from simulator.domain.scripts import describe_fault
from simulator.scenarios.loader import (
    BUILTIN_DIR,
    LoadedScenario,
    ScenarioFileError,
    load_all,
    load_file,
    scenario_paths,
)
from simulator.scenarios.schema import json_schema_text

COMMANDS = ("scenarios", "replay")

SCENARIOS_EPILOG = """\
examples:
  onekyc-sim scenarios list                          # the shipped scenarios and their magic values
  onekyc-sim scenarios show spoof                    # one of them, as its file has it
  onekyc-sim scenarios validate my-scenarios/        # check files (exit 1 names the file, line and field)
  onekyc-sim scenarios schema > scenario.schema.json # the JSON Schema, for your editor
"""

REPLAY_EPILOG = """\
examples:
  onekyc-sim replay                                  # every shipped scenario, in-process simulator
  onekyc-sim replay scenarios/spoof.yaml my-scenarios/
  onekyc-sim replay my-scenarios/ --junit reports/replay.xml
  onekyc-sim replay --base-url http://127.0.0.1:8080  # against a running simulator

Each scenario runs under its own partner (registered through /_sim/partners) and its own partner
session id (bound to the scenario through /_sim/bindings), so replays never collide. Exit status:
0 all passed, 1 a scenario failed or a file is invalid, 2 the simulator could not be reached (or needs
an admin token, or runs --strict) or the --junit file cannot be written.
"""


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scenarios = sub.add_parser(
        "scenarios",
        help="list, show, validate scenario files; print their JSON Schema",
        description="The scenario catalog and scenario files.",
        epilog=SCENARIOS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = scenarios.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the scenarios: name, magic values, what each attempt does")
    listing.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or directories (default: shipped)")
    show = actions.add_parser("show", help="one scenario file, by shipped name or by path")
    show.add_argument("scenario", help="a shipped scenario's name, or a file path")
    validate = actions.add_parser("validate", help="check scenario files; exit 1 if any is invalid")
    validate.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or directories (default: shipped)")
    actions.add_parser("schema", help="print the JSON Schema of scenario files")

    run = sub.add_parser(
        "replay",
        help="play scenario files against a simulator and check what happens",
        description="Play partner backend and SDK for each scenario file, check every expectation, report.",
        epilog=REPLAY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or directories (default: shipped)")
    run.add_argument("--base-url", help="a running simulator (default: start a fresh one in process)")
    run.add_argument("--junit", type=Path, metavar="FILE", help="also write the results as JUnit XML")
    run.add_argument(
        "--admin-token", help="the simulator's admin token, if it requires one (default: $ONEKYC_SIM_ADMIN_TOKEN)"
    )


def _load(paths: list[Path], err: TextIO) -> tuple[list[LoadedScenario], bool]:
    loaded, failed = load_all(paths or [BUILTIN_DIR])
    for error in failed:
        print(error, file=err)
    return loaded, not failed


def _list(paths: list[Path], out: TextIO, err: TextIO) -> int:
    loaded, ok = _load(paths, err)
    for scenario in sorted(loaded, key=lambda s: s.file.name):
        script = scenario.script
        magic = [f"user id {script.magic_user_id}*" if script.magic_user_id else "", script.magic_image or ""]
        print(f"{script.name}", file=out)
        print(f"    {script.description}", file=out)
        if any(magic):
            print(f"    magic: {', '.join(m for m in magic if m)}", file=out)
        for line in script.summary():
            print(f"    {line}", file=out)
        for fault in script.faults:
            print(f"    fault {describe_fault(fault)}", file=out)
    return 0 if ok else 1


def _show(name: str, out: TextIO, err: TextIO) -> int:
    path = Path(name)
    if not path.is_file():
        path = BUILTIN_DIR / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml")))
        print(f"onekyc-sim: no scenario {name!r}; shipped ones: {known}", file=err)
        return 1
    try:
        scenario = load_file(path)
    except ScenarioFileError as exc:
        print(exc, file=err)
        return 1
    print(f"# {path}", file=out)
    if scenario.script.magic_image_sha256:
        print(f"# magic image sha256: {scenario.script.magic_image_sha256}", file=out)
    out.write(path.read_text(encoding="utf-8"))
    return 0


def _validate(paths: list[Path], out: TextIO, err: TextIO) -> int:
    for path in paths:
        if path.is_dir() and not scenario_paths([path]):
            print(f"onekyc-sim: no scenario files (*.yaml, *.yml) in {path}", file=err)
            print("Give a directory or files holding scenario files.", file=err)
            return 2
    if not paths:
        loaded, ok = _load(paths, err)
    else:
        # Checked beside the shipped files, as `serve --scenarios` loads them: a shipped name or magic user id
        # reused is refused here too.
        given = scenario_paths(paths)
        mine = {path.resolve() for path in given}
        shipped = [path for path in scenario_paths([BUILTIN_DIR]) if path.resolve() not in mine]
        loaded, failed = load_all([*shipped, *given])
        for error in failed:
            print(error, file=err)
        ok = not failed
        loaded = [scenario for scenario in loaded if scenario.path.resolve() in mine]
    for scenario in loaded:
        print(f"ok  {scenario.path}", file=out)
    return 0 if ok and loaded else 1


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    if args.command == "replay":
        from simulator.replay import runner  # its client and receiver are not needed by `serve`

        token = args.admin_token or os.environ.get("ONEKYC_SIM_ADMIN_TOKEN") or None
        return runner.run(args.paths, base_url=args.base_url, junit=args.junit, admin_token=token, out=out)
    if args.action == "list":
        return _list(args.paths, out, err)
    if args.action == "show":
        return _show(args.scenario, out, err)
    if args.action == "validate":
        return _validate(args.paths, out, err)
    out.write(json_schema_text())
    return 0
