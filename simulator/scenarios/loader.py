"""Loading scenario files: YAML in, validated `ScenarioFile`s and the simulator's catalog out.

Errors name the file, the field (as a dotted path) and its line, e.g.
`retry.yaml:7: attempts.0.outcome: Input should be 'PASS', 'NOT_LIVE', …`. The shipped scenarios live
in `simulator/scenarios/builtin/` (the repository's `scenarios/` points there), so the catalog is the
same from a checkout and from an installed package.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simulator.domain.binding import Catalog
from simulator.domain.scripts import Script
from simulator.scenarios.schema import ScenarioFile
from simulator.services.vendor_flow.images import ImageLimits, check_image
from simulator.settings import Settings

# libyaml's safe loader (PyYAML's wheels bundle it) parses the shipped catalog ~10x faster at every start.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
SUFFIXES = (".yaml", ".yml")


class ScenarioFileError(ValueError):
    """One or more problems with one scenario file; each message names the field."""

    def __init__(self, path: Path, problems: Sequence[str], *, name: str | None = None) -> None:
        self.path = path
        self.problems = list(problems)
        self.name = name or path.stem
        super().__init__("\n".join(f"{path}{problem}" for problem in self.problems))

    def located(self) -> list[str]:
        """Each problem prefixed with the file's name: `retry.yaml:9: attempts.0.outcome: …`."""
        return [f"{self.path.name}{problem}" for problem in self.problems]


@dataclass(frozen=True, slots=True)
class LoadedScenario:
    path: Path
    file: ScenarioFile
    script: Script

    def resolve(self, relative: str) -> Path:
        return find_referenced(self.path, relative)


def find_referenced(scenario_path: Path, relative: str) -> Path:
    """A file a scenario names: next to the scenario file, else the shipped one (so copies keep working)."""
    beside = (scenario_path.parent / relative).resolve()
    shipped = (BUILTIN_DIR / relative).resolve()
    return shipped if not beside.is_file() and shipped.is_file() else beside


def _line_of(node: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """1-based line of the value at `loc` (or of the deepest part of it that exists)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == part), None)
            if match is None:
                return line
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _problems(exc: ValidationError, root: yaml.Node | None) -> list[str]:
    problems = []
    for error in exc.errors():
        loc = [part for part in error["loc"] if isinstance(part, int | str)]
        field = ".".join(str(part) for part in loc) or "(file)"
        line = _line_of(root, loc)
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{f':{line}' if line else ''}: {field}: {message}")
    return problems


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """`:LINE: not valid YAML: what` (the file name is the caller's; PyYAML's own names "<unicode string>")."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return f": not valid YAML: {exc}"
    mark = exc.problem_mark or exc.context_mark
    where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
    what = "; ".join(part for part in (exc.context, exc.problem) if part)
    return f"{where}: not valid YAML: {what or type(exc).__name__}"


def parse(path: Path, text: str) -> ScenarioFile:
    try:
        raw: Any = yaml.load(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        raw = None  # told below by the pure-Python parser, whose messages and marks the errors quote
    try:
        # Line numbers are only needed for a problem, so the slower node tree is composed only then.
        root = None if isinstance(raw, dict) else yaml.compose(text)
        if raw is None:
            raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioFileError(path, [_yaml_problem(exc)]) from exc
    if not isinstance(raw, dict):
        raise ScenarioFileError(path, [": (file): a scenario file is a YAML mapping (name: …, attempts: …)"])
    try:
        return ScenarioFile.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioFileError(path, _problems(exc, root or yaml.compose(text))) from exc


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refused_image(path: Path) -> str | None:
    """Why the upload image check would refuse this sample image (default limits), or None."""
    limits = ImageLimits(Settings.model_fields["upload_max_bytes"].default)
    check = check_image(path.read_bytes(), limits)
    return None if check.ok else check.detail


def load_file(path: Path) -> LoadedScenario:
    """Parse and check one file, including the files it refers to (magic image, selfies)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioFileError(path, [f": cannot read: {exc.strerror or exc}"]) from exc
    except UnicodeDecodeError as exc:
        raise ScenarioFileError(path, [f": not UTF-8 text (byte {exc.start}); save the file as UTF-8"]) from exc
    file = parse(path, text)
    problems = []
    sha = None
    referenced = [("magic_image", file.magic_image)] if file.magic_image else []
    referenced += [(f"replay.selfies.{i}", selfie) for i, selfie in enumerate(file.replay.selfies)]
    for field, relative in referenced:
        target = find_referenced(path, relative)
        if not target.is_file():
            problems.append(f": {field}: no such file {relative!r} (next to the scenario file or among the shipped)")
        elif (refused := _refused_image(target)) is not None:
            problems.append(f": {field}: {relative!r} would be refused at upload: {refused}")
        elif field == "magic_image":
            sha = _sha256(target)
    if problems:
        raise ScenarioFileError(path, problems)
    return LoadedScenario(path, file, file.script(sha))


def scenario_paths(paths: Iterable[Path]) -> list[Path]:
    """The scenario files `paths` name: files as given, directories' *.yaml / *.yml files sorted by name."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file()))
        else:
            found.append(path)
    return found


def load_all(paths: Iterable[Path]) -> tuple[list[LoadedScenario], list[ScenarioFileError]]:
    """Every file under `paths`, loaded; the failures are returned, not raised, so all get reported."""
    loaded, failed = [], []
    for path in scenario_paths(paths):
        try:
            loaded.append(load_file(path))
        except ScenarioFileError as exc:
            failed.append(exc)
    clashing: set[Path] = set()
    for field in ("name", "magic_user_id"):
        groups: dict[str, list[LoadedScenario]] = {}
        for scenario in loaded:
            value = scenario.file.name if field == "name" else scenario.script.magic_user_id
            if value is not None:
                groups.setdefault(value, []).append(scenario)
        for value, scenarios in groups.items():
            if len(scenarios) == 1:
                continue
            files = ", ".join(str(s.path) for s in scenarios)
            problem = f": {field}: {value!r} is used by {len(scenarios)} files ({files}); it must be unique"
            # Named after the last file: the shipped ones come first, so it is the user's file to fix.
            failed.append(ScenarioFileError(scenarios[-1].path, [problem], name=scenarios[-1].file.name))
            clashing.update(s.path for s in scenarios)
    return [s for s in loaded if s.path not in clashing], failed


def load_catalog(extra_dirs: Iterable[Path] = ()) -> Catalog:
    """The shipped scenarios plus those in `extra_dirs` (a file there may not reuse a shipped name)."""
    loaded, failed = load_all([BUILTIN_DIR, *extra_dirs])
    if failed:
        raise failed[0]
    return Catalog.of([scenario.script for scenario in loaded])


def builtin_scenarios() -> list[LoadedScenario]:
    loaded, failed = load_all([BUILTIN_DIR])
    if failed:
        raise failed[0]
    return loaded
