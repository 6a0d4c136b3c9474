"""The command line: `onekyc-sim serve` (and the commands later issues add)."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError
from pydantic_settings import SettingsError

from simulator import (
    __version__,
    completion,
    logs,
    start_lean,  # noqa: F401 (before startup: keeps httpx's command-line client out of the server)
    startup,
)
from simulator.hosting import exposure_problem
from simulator.partners import PartnersConfigError, load_partners
from simulator.replay import cli as scenario_commands
from simulator.settings import Settings

EPILOG = """\
examples:
  onekyc-sim serve                                  # http://127.0.0.1:8080, ./onekyc-sim.db
  onekyc-sim serve --port 9000 --database /tmp/sim.db --seed 42
  onekyc-sim serve --public-base-url http://10.0.2.2:8080   # Android emulator reaching the host
  ONEKYC_SIM_PROCESSING_DELAY_SECONDS=0 onekyc-sim serve    # every setting has an env variable
"""


def _seconds_list(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of seconds: {text!r}") from None


def _serve_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser(
        "serve",
        help="serve the Token Gateway and the IAB Gateway",
        description="Serve the Token Gateway and the IAB Gateway (and /_sim, the control API) over HTTP.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8080)")
    serve.add_argument("--token-port", type=int, help="also serve the Token Gateway paths on this port")
    serve.add_argument("--database", help="SQLite file or SQLAlchemy async URL (default ./onekyc-sim.db)")
    serve.add_argument("--config", type=Path, help="partners YAML file (credentials, callbacks, defaults)")
    serve.add_argument("--public-base-url", help="base URL devices reach the simulator at (default http://HOST:PORT)")
    serve.add_argument("--seed", type=int, help="deterministic ids, tokens and random faults")
    serve.add_argument("--strict", action="store_true", default=None, help="drop fields the vendor does not document")
    serve.add_argument("--frozen-clock", action="store_true", default=None, help="start with the clock frozen")
    serve.add_argument(
        "--processing-delay-seconds",
        type=float,
        help="confirm-to-verdict time (default 2) of attempts whose scenario sets no after_seconds / after_polls",
    )
    serve.add_argument("--max-attempts", type=int, help="default submissions per partner session (default 3)")
    serve.add_argument(
        "--callback-retry-schedule",
        type=_seconds_list,
        metavar="S,S,...",
        help="waits before each callback retry, simulator clock (default 10,30,120,600,1800; '' = no retry)",
    )
    serve.add_argument("--reference-timeout-seconds", type=float, help="reference-image fetch time limit (default 5)")
    serve.add_argument("--reference-max-bytes", type=int, help="reference-image size cap (default 5242880)")
    serve.add_argument(
        "--scenarios",
        dest="scenario_dirs",
        type=Path,
        action="append",
        metavar="DIR",
        help="a directory of extra scenario files (repeatable); their magic values and names work like the shipped",
    )
    serve.add_argument(
        "--admin-token", help="require 'Authorization: Bearer TOKEN' on every /_sim route (vendor paths unaffected)"
    )
    serve.add_argument(
        "--allow-unauthenticated-admin",
        action="store_true",
        default=None,
        help="serve an open /_sim on a non-loopback --host (refused otherwise without --admin-token)",
    )
    serve.add_argument(
        "--outbound-allow",
        action="append",
        metavar="HOST|CIDR",
        help="a host (*.example.com) or address/CIDR the reference-image fetch may reach although private, "
        "loopback or link-local (repeatable; only matters on a non-loopback --host)",
    )
    serve.add_argument(
        "--web-sdk-frame-ancestors",
        metavar="SOURCES",
        help="who may frame the hosted Web SDK page (CSP frame-ancestors, default \"'self'\")",
    )
    serve.add_argument(
        "--cors-origin",
        dest="cors_origins",
        action="append",
        metavar="ORIGIN",
        help="let browser pages on ORIGIN (e.g. http://localhost:3000) call the vendor and storage paths "
        "(repeatable; default: CORS off)",
    )
    serve.add_argument("--journal-max-entries", type=int, help="requests the journal keeps (default 10000)")
    serve.add_argument("--journal-excerpt-bytes", type=int, help="bytes of each body the journal keeps (default 2048)")
    serve.add_argument("--log-level", help="DEBUG, INFO, WARNING or ERROR (default INFO)")
    serve.add_argument("--log-format", choices=["json", "text"], help="log lines as JSON (default) or text")
    serve.add_argument("--access-log", action="store_true", help="log every request (slower)")


def _db_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="manage the database schema", description="Manage the database schema.")
    commands = db.add_subparsers(dest="db_command", metavar="DB_COMMAND", required=True)
    upgrade = commands.add_parser(
        "upgrade",
        help="apply the schema migrations the database lacks (serve does it at start too)",
        description="Apply every schema migration the database lacks (Alembic, under an advisory lock on "
        "PostgreSQL). A database made by a version before migrations is upgraded in place.",
        epilog="examples:\n  onekyc-sim db upgrade --database onekyc-sim.db\n"
        "  onekyc-sim db upgrade --database postgresql+asyncpg://sim:sim@127.0.0.1:5432/onekyc\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    upgrade.add_argument("--database", help="SQLite file or SQLAlchemy async URL (default ./onekyc-sim.db)")


def db_upgrade(settings: Settings, flags: Collection[str] = ()) -> int:
    """`onekyc-sim db upgrade`: migrate, then print the revision the database is at."""
    import asyncio

    from simulator.store.db import make_engine
    from simulator.store.migrate import upgrade

    async def run() -> str | None:
        engine = make_engine(settings.database_url)
        try:
            return await upgrade(engine)
        finally:
            await engine.dispose()

    unusable = startup.sqlite_path_problem(settings, flags)
    if unusable is not None:
        print(unusable, file=sys.stderr)
        return 2
    try:
        revision = asyncio.run(run())
    except Exception as exc:
        explained = startup.explain(exc, settings, flags)
        print(explained or f"onekyc-sim: cannot upgrade {settings.shown_database}: {exc}", file=sys.stderr)
        return 2
    print(f"onekyc-sim: database {settings.shown_database} is at schema revision {revision}")
    return 0


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are two lines (what is wrong, where the options are described)
    and exit status 2, instead of the whole usage block; its subcommands' parsers are of this class too."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"onekyc-sim: {message}\nRun `{self.prog} --help` to see every option.\n")


def build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = Parser(
        prog="onekyc-sim",
        description="Local, stateful simulator of GoPay OneKYC (IAB) for the Selfie Liveness flow.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _serve_parser(sub)
    _db_parser(sub)
    scenario_commands.add_parsers(sub)
    completion.add_parser(sub)
    return parser


SETTINGS_FLAGS = (
    "host",
    "port",
    "token_port",
    "database",
    "config",
    "public_base_url",
    "seed",
    "strict",
    "frozen_clock",
    "processing_delay_seconds",
    "max_attempts",
    "callback_retry_schedule",
    "reference_timeout_seconds",
    "reference_max_bytes",
    "scenario_dirs",
    "admin_token",
    "allow_unauthenticated_admin",
    "outbound_allow",
    "web_sdk_frame_ancestors",
    "cors_origins",
    "journal_max_entries",
    "journal_excerpt_bytes",
    "log_level",
    "log_format",
)


def given_flags(args: argparse.Namespace) -> set[str]:
    """The settings given on the command line (the others come from ONEKYC_SIM_* variables or defaults)."""
    return {name for name in SETTINGS_FLAGS if getattr(args, name, None) is not None}


def settings_from(args: argparse.Namespace) -> Settings:
    overrides = {name: getattr(args, name) for name in given_flags(args)}
    return Settings(**overrides)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit it: without it uvloop leaves Nagle on and keep-alive clients wait ~40 ms a reply.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    # Listening from the start: a client that connects while the lifespan still starts waits in the backlog
    # instead of being refused (the "simulator ready" line is logged before uvicorn itself calls listen()).
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _seeded_refusal(settings: Settings) -> str | None:
    """Why a seeded instance must not start on this database (another instance serves it), in one line.

    (The app's start checks it again, for instances started at the same moment, and for an unseeded
    instance joining a seeded one.) Raises what opening the database raised.
    """
    import asyncio

    from simulator.runtime import preflight

    return asyncio.run(preflight(settings))


def serve(settings: Settings, *, access_log: bool = False, flags: Collection[str] = ()) -> int:
    """Serve until stopped; 2 (after two lines on stderr) when a start-up failure of the user's stops it."""
    import uvicorn

    from simulator import serving
    from simulator.app import create_app

    logs.configure(settings.log_level, settings.log_format)
    problem = exposure_problem(settings)
    if problem is not None:
        print(f"onekyc-sim: {problem}", file=sys.stderr)
        return 2
    try:
        load_partners(settings.config)
    except PartnersConfigError as exc:
        print(startup.config_error(exc, flags), file=sys.stderr)
        return 2
    unusable = startup.sqlite_path_problem(settings, flags)
    if unusable is not None:
        print(unusable, file=sys.stderr)
        return 2
    try:
        refusal = _seeded_refusal(settings) if settings.seed is not None else None
    except Exception as exc:
        explained = startup.explain(exc, settings, flags)
        if explained is None:
            raise
        print(explained, file=sys.stderr)
        return 2
    if refusal is not None:
        print(f"onekyc-sim: {refusal}", file=sys.stderr)
        return 2
    if settings.token_port is not None and settings.token_port == settings.port != 0:
        print(startup.same_ports_error(settings.port, flags), file=sys.stderr)
        return 2
    sockets: list[socket.socket] = []
    bound: dict[str, int] = {}
    for field, port in (("port", settings.port), ("token_port", settings.token_port)):
        if port is None:
            continue
        try:
            sockets.append(_bind(settings.host, port))
        except OSError as exc:
            print(startup.listen_error(exc, settings.host, port, field, flags), file=sys.stderr)
            return 2
        if port == 0:
            bound[field] = sockets[-1].getsockname()[1]  # port 0: the system picked one; say and use that one
    if bound:
        settings = settings.model_copy(update=bound)
    config = uvicorn.Config(
        create_app(settings),
        log_level=settings.log_level.lower(),
        access_log=access_log,
        loop="auto",
        http="auto",
        lifespan="on",
        log_config=None,
    )
    return serving.run(config, sockets, settings, flags)


def main(argv: Sequence[str] | None = None) -> int:
    """The `onekyc-sim` command: its exit status (0 ok, 1 a failed check or replay, 2 a usage or start-up error)."""
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`onekyc-sim scenarios list | head`): stop quietly, as Unix tools do. Python's
        # own flush at exit would raise again, so stdout points at /dev/null from here on.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    completion.autocomplete(parser)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command in scenario_commands.COMMANDS:
        return scenario_commands.run(args)
    if args.command == completion.COMMAND:
        return completion.run(args)
    try:
        settings = settings_from(args)
    except (ValidationError, SettingsError) as exc:
        print(startup.settings_error(exc, given_flags(args)), file=sys.stderr)
        return 2
    if args.command == "serve":
        return serve(settings, access_log=args.access_log, flags=given_flags(args))
    if args.command == "db":
        return db_upgrade(settings, given_flags(args))
    parser.error(f"unknown command {args.command}")
    return 2
