"""The replay runner: play scenario files against a simulator and report what differed.

By default it starts its own simulator in process (a fresh temporary database, a frozen clock, served
through the ASGI interface); `--base-url` points it at a running one instead. Either way it
runs a local partner endpoint (callbacks, reference images) on a free port, registers one partner per
scenario there, binds each scenario to a fresh partner session id, plays it, checks it, and prints a
line per scenario as it finishes. `replay_scenarios` is the same, for an `httpx.AsyncClient` you have.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TextIO

import httpx

from simulator.ids import IdFactory
from simulator.replay.checks import check
from simulator.replay.driver import Player
from simulator.replay.observed import Run
from simulator.replay.partner_reference import reference_endpoint_url
from simulator.replay.report import Outcome, junit_xml, print_outcome, summary
from simulator.replay.stage import (
    AdminTokenError,
    PartnerEndpoint,
    Stage,
    StageError,
    StrictServerError,
)
from simulator.scenarios.loader import BUILTIN_DIR, LoadedScenario, load_all, scenario_paths
from simulator.settings import Settings

HTTP_TIMEOUT = 30.0
IN_PROCESS_URL = "http://onekyc-sim.replay"
PINNED = (
    "config",
    "seed",
    "strict",
    "processing_delay_seconds",
    "max_attempts",
    "callback_retry_schedule",
    "admin_token",
)


def _strict_answers(run: Run) -> bool:
    """Whether a status answer lacked nextAction, which only a `--strict` simulator leaves out (gateway/wire.py)."""
    polls = [call for attempt in run.attempts for call in attempt.polls if call.ok]
    return any("status" in call.data and "nextAction" not in call.data for call in polls)


async def replay_one(stage: Stage, scenario: LoadedScenario, run_id: str, index: int) -> Outcome:
    """Play one scenario on `stage` under its own partner and partner session id, and check it."""
    started = time.perf_counter()
    name = scenario.file.name
    client_id = f"replay-{run_id}-{index:03d}"
    psid = f"replay-{run_id}-{index:03d}-{name}"
    try:
        reference = reference_endpoint_url(stage.endpoint, scenario.file.replay, psid)
        vendor = await stage.add_partner(client_id, f"pass-{run_id}-{index:03d}", f"/callback/{psid}", reference)
        await stage.bind(psid, client_id, name, scenario.file.behaviour().model_dump(mode="json"))
        run = await Player(stage, scenario, vendor, psid).play()
    except (AdminTokenError, StrictServerError):
        raise
    except StageError as exc:
        return Outcome(name, scenario.path, time.perf_counter() - started, error=str(exc))
    mismatches = check(scenario.file.expect, run)
    if mismatches and _strict_answers(run):
        raise StrictServerError(
            f"the simulator at {stage.http.base_url} runs with --strict, which drops nextAction, attempt and "
            "maxAttempts from status answers; scenario files expect them (see the README on --strict)"
        )
    return Outcome(name, scenario.path, time.perf_counter() - started, mismatches, run=run)


async def replay_scenarios(
    scenarios: Sequence[LoadedScenario],
    http: httpx.AsyncClient,
    *,
    admin_token: str | None = None,
    out: TextIO | None = None,
    first_index: int = 1,
    total: int | None = None,
) -> list[Outcome]:
    """Replay each scenario in turn against the simulator `http` talks to; a report line per scenario to `out`."""
    run_id = IdFactory().secret(3)
    outcomes = []
    endpoint = PartnerEndpoint()
    stage = Stage(http, endpoint, admin_token)
    await stage.admin("GET", "/_sim/health")  # StageError: not reachable, or the admin token is missing
    await endpoint.start()
    try:
        for index, scenario in enumerate(scenarios, first_index):
            outcome = await replay_one(stage, scenario, run_id, index)
            outcomes.append(outcome)
            if out is not None:
                print_outcome(out, outcome, index, total or len(scenarios))
    finally:
        await stage.remove_bindings()
        await stage.remove_partners()
        await endpoint.stop()
    return outcomes


@contextlib.asynccontextmanager
async def _client(base_url: str | None) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the given simulator, or of a fresh one served in process (temporary database, frozen clock)."""
    if base_url is not None:
        async with httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=HTTP_TIMEOUT) as http:
            yield http
        return
    from simulator.app import create_app

    with tempfile.TemporaryDirectory(prefix="onekyc-replay-") as tmp:
        # Pinned, so ONEKYC_SIM_* variables in the environment cannot change what the scenarios observe.
        pinned = {name: Settings.model_fields[name].get_default(call_default_factory=True) for name in PINNED}
        settings = Settings(
            **pinned,
            database=str(Path(tmp) / "replay.db"),
            frozen_clock=True,
            log_level="WARNING",
            public_base_url=IN_PROCESS_URL,
        )
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url=IN_PROCESS_URL, timeout=HTTP_TIMEOUT) as http,
        ):
            yield http


async def _replay(
    scenarios: Sequence[LoadedScenario],
    base_url: str | None,
    admin_token: str | None,
    out: TextIO,
    first_index: int,
    total: int,
) -> list[Outcome]:
    async with _client(base_url) as http:
        return await replay_scenarios(
            scenarios, http, admin_token=admin_token, out=out, first_index=first_index, total=total
        )


def junit_path_problem(path: Path) -> str | None:
    """Why the JUnit report cannot be written to `path` (checked before the scenarios run), or None.
    Creates the missing parent directories, as the report's writing would."""
    if path.is_dir():
        return "it is a directory"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        existed = path.exists()
        with path.open("ab"):
            pass
        if not existed:
            path.unlink()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def run(
    paths: Sequence[Path],
    *,
    base_url: str | None = None,
    junit: Path | None = None,
    admin_token: str | None = None,
    out: TextIO | None = None,
) -> int:
    """The `onekyc-sim replay` command: 0 when every scenario passed, 1 otherwise."""
    out = out or sys.stdout
    if junit is not None and (problem := junit_path_problem(junit)) is not None:
        print(f"onekyc-sim replay: cannot write the JUnit XML to {junit}: {problem}.", file=sys.stderr)
        print("Give --junit a file path in a writable directory, e.g. reports/replay.xml.", file=sys.stderr)
        return 2
    started = time.perf_counter()
    loaded, invalid = load_all(paths or [BUILTIN_DIR])
    outcomes = [Outcome(e.name, Path(e.path), 0.0, error="; ".join(e.located())) for e in invalid]
    total = len(loaded) + len(invalid)
    target = base_url or "a fresh in-process simulator"
    files = len(scenario_paths(paths or [BUILTIN_DIR]))
    if not loaded and not invalid:
        where = ", ".join(str(p) for p in paths)
        print(f"onekyc-sim replay: no scenario files (*.yaml, *.yml) in {where}", file=sys.stderr)
        print("Give a directory or files holding scenario files.", file=sys.stderr)
        return 2
    print(f"replaying {files} scenario file(s) against {target}", file=out)
    for index, outcome in enumerate(outcomes, 1):
        print_outcome(out, outcome, index, total)
    if loaded:
        try:
            outcomes += asyncio.run(_replay(loaded, base_url, admin_token, out, len(outcomes) + 1, total))
        except AdminTokenError as exc:
            print(f"onekyc-sim replay: {exc}", file=sys.stderr)
            return 2
        except StrictServerError as exc:
            print(f"onekyc-sim replay: {exc}", file=sys.stderr)
            print("Replay against a simulator started without --strict.", file=sys.stderr)
            return 2
        except (OSError, StageError) as exc:
            print(f"onekyc-sim replay: cannot reach the simulator at {target}: {exc}", file=sys.stderr)
            return 2
    seconds = time.perf_counter() - started
    print(summary(outcomes, seconds), file=out)
    if junit is not None:
        junit.write_bytes(junit_xml(outcomes, seconds))
        print(f"JUnit XML written to {junit}", file=out)
    return 0 if outcomes and all(o.passed for o in outcomes) else 1
