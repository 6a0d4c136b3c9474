"""Start-up failures a user can cause, told in two lines: what is wrong, then what to do.

`onekyc-sim serve` turns each of these into a `StartupError` and exits with status 2: a setting that
fails validation (named as the flag or the `ONEKYC_SIM_…` variable it came from), an unreadable or
invalid partners file, an unusable scenario directory, a database that cannot be opened (a missing
directory, a malformed URL, a missing driver, an unreachable PostgreSQL) and a port in use. Anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import os
import re
import socket
from collections.abc import Collection, Mapping
from pathlib import Path

from pydantic import ValidationError
from pydantic_settings import SettingsError
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from simulator.partners import PartnersConfigError
from simulator.scenarios.loader import ScenarioFileError
from simulator.settings import Settings, hide_password

ENV_PREFIX = "ONEKYC_SIM_"
FLAGS = {"scenario_dirs": "--scenarios", "cors_origins": "--cors-origin"}  # settings whose flag is not their name
URL_EXAMPLES = (
    "a SQLite file path, sqlite+aiosqlite:///path/to/sim.db or postgresql+asyncpg://user:password@host:5432/db"
)

# A JSON value to show for each list setting given as an environment variable (pydantic-settings parses it).
JSON_EXAMPLES = {
    "callback_retry_schedule": "[5, 60]",
    "image_formats": '["JPEG", "PNG"]',
    "scenario_dirs": '["my-scenarios"]',
}
SUPPORTED_BACKENDS = ("sqlite", "postgresql")


class StartupError(Exception):
    """A start-up failure the user can fix: `problem` (what is wrong) and `remedy` (what to do), one line each."""

    def __init__(self, problem: str, remedy: str) -> None:
        super().__init__(problem, remedy)
        self.problem = problem
        self.remedy = remedy

    def __str__(self) -> str:
        return f"onekyc-sim: {self.problem}\n{self.remedy}"


def option_name(field: str, flags: Collection[str], environ: Mapping[str, str] | None = None) -> str:
    """How the user gave the setting `field`: `--field-name` if on the command line, else the set
    `ONEKYC_SIM_FIELD_NAME` variable, else (a default) the flag that changes it."""
    if field not in flags:
        wanted = f"{ENV_PREFIX}{field}".upper()
        names = environ if environ is not None else os.environ
        variable = next((name for name in names if name.upper() == wanted), None)
        if variable is not None:
            return variable
    return FLAGS.get(field, "--" + field.replace("_", "-"))


def settings_error(exc: ValidationError | SettingsError, flags: Collection[str]) -> StartupError:
    """The first invalid setting, named as the flag or environment variable it came from."""
    if isinstance(exc, SettingsError):
        # pydantic-settings says: error parsing value for field "callback_retry_schedule" from source "…"
        found = re.search(r'field "([^"]+)"', str(exc))
        field = found.group(1) if found else ""
        name = option_name(field, flags) if found else f"an {ENV_PREFIX}* variable"
        example = JSON_EXAMPLES.get(field, '["a", "b"]')
        return StartupError(f"{name}: not valid JSON", f"Give {name} as JSON, e.g. {name}='{example}'.")
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    name = option_name(field, flags)
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return StartupError(
        f"{name}={error['input']!r}: {error['msg'].removeprefix('Value error, ')}{more}",
        f"Fix {name}; `onekyc-sim serve --help` describes every option and its default.",
    )


def config_error(exc: PartnersConfigError, flags: Collection[str]) -> StartupError:
    """An unreadable or invalid partners file (`--config` / `ONEKYC_SIM_CONFIG`), on one line, and the fix."""
    name = option_name("config", flags)
    return StartupError(
        " ".join(str(exc).split()),
        f"Fix the partners file named by {name} (its format is in the README, section Partners), or leave it out.",
    )


def scenarios_error(exc: ScenarioFileError, flags: Collection[str]) -> StartupError:
    """The first problem of an extra scenario directory (`--scenarios`): a missing directory or a bad file."""
    name = option_name("scenario_dirs", flags)
    if not exc.path.is_file():
        return StartupError(str(exc).splitlines()[0], f"Check the directory given with {name}.")
    return StartupError(
        str(exc).splitlines()[0],
        f"Fix the file (`onekyc-sim scenarios validate {exc.path}` lists every problem), or move it out of {name}.",
    )


def listen_error(exc: OSError, host: str, port: int, field: str, flags: Collection[str]) -> StartupError:
    """`port` (the setting `field`: port or token_port) could not be bound on `host`, e.g. it is in use."""
    name = option_name(field, flags)
    if exc.errno == errno.EADDRINUSE:
        return StartupError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}.",
            f"Is another simulator running? Pick another port with {name}.",
        )
    host_name = option_name("host", flags)
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return StartupError(
            f"cannot listen on {host}:{port}: {host!r} cannot be resolved to an address of this machine "
            f"({exc.strerror or exc}).",
            f"Give {host_name} an address this machine has, e.g. 127.0.0.1 or 0.0.0.0.",
        )
    return StartupError(
        f"cannot listen on {host}:{port}: {exc.strerror or exc}.",
        f"Check {host_name} and {name}; ports below 1024 need privileges.",
    )


def same_ports_error(port: int, flags: Collection[str]) -> StartupError:
    """`port` and `token_port` are the same port: the second bind would fail with a misleading "in use"."""
    return StartupError(
        f"{option_name('token_port', flags)} and {option_name('port', flags)} are both {port}.",
        f"Give {option_name('token_port', flags)} another port, or leave it out (port {port} serves both gateways).",
    )


def _shown_url(database: str) -> str:
    return hide_password(database)


def _backend(database: str) -> str | None:
    if "://" not in database:
        return "sqlite"
    try:
        return make_url(database).get_backend_name()
    except (sa_exc.ArgumentError, ValueError):
        return None


def _sqlite_path(database: str) -> Path | None:
    if "://" not in database:
        return Path(database).expanduser()
    try:
        url = make_url(database)
    except (sa_exc.ArgumentError, ValueError):
        return None
    return Path(url.database).expanduser() if url.get_backend_name() == "sqlite" and url.database else None


def _sqlite_error(path: Path, reason: str, name: str) -> StartupError:
    if path.is_dir():
        return StartupError(
            f"cannot open the SQLite database {path}: it is a directory.",
            f"Give a file path with {name}, e.g. {path / 'onekyc-sim.db'}.",
        )
    if not path.parent.is_dir():
        return StartupError(
            f"cannot create the SQLite database {path}: the directory {path.parent} does not exist.",
            f"Create it first (mkdir -p {path.parent}), or give another file with {name}.",
        )
    if path.exists() and "not a database" in reason:
        return StartupError(
            f"{path} is not a SQLite database ({reason}).",
            f"Give another file with {name}; the simulator creates a new database file when none exists.",
        )
    return StartupError(
        f"cannot open the SQLite database {path}: {reason}.",
        f"Check that {path.parent} is writable, or give another file with {name}.",
    )


def sqlite_path_problem(settings: Settings, flags: Collection[str]) -> StartupError | None:
    """Why the SQLite file of `settings` cannot be opened, told before the driver tries (a path that is a
    directory, or whose directory is missing); None for another database or a path that may work."""
    path = _sqlite_path(settings.database)
    if path is None or str(path) == ":memory:":
        return None
    if path.is_dir() or not path.parent.is_dir():
        return _sqlite_error(path, "", option_name("database", flags))
    return None


def database_error(exc: BaseException, settings: Settings, flags: Collection[str]) -> StartupError | None:
    """`exc`, raised while opening the database of `settings`, as a `StartupError`; None if it is not
    a database problem the user can fix (a bug: keep the traceback)."""
    name = option_name("database", flags)
    shown = _shown_url(settings.database)
    backend = _backend(settings.database)
    if backend is not None and backend not in SUPPORTED_BACKENDS:
        return StartupError(
            f"{name} {shown!r} is not a database URL the simulator can use: SQLite and PostgreSQL only, not {backend}.",
            f"Give {URL_EXAMPLES}.",
        )
    if isinstance(exc, sa_exc.ArgumentError | sa_exc.NoSuchModuleError) or (
        isinstance(exc, ValueError) and not isinstance(exc, sa_exc.SQLAlchemyError)
    ):
        return StartupError(
            f"{name} {shown!r} is not a database URL the simulator can use ({exc}).", f"Give {URL_EXAMPLES}."
        )
    if isinstance(exc, ModuleNotFoundError):
        return StartupError(
            f"{name} {shown!r} needs the Python driver {exc.name!r}, which is not installed.",
            f"Install it (pip install {exc.name}), or give {URL_EXAMPLES}.",
        )
    if isinstance(exc, TypeError) and "unexpected keyword argument" in str(exc):
        return StartupError(
            f"{name} {shown!r} has a query parameter the driver does not take ({exc}).",
            "asyncpg takes ?ssl=require (not libpq's ?sslmode=); drop the other parameters.",
        )
    if isinstance(exc, sa_exc.InvalidRequestError) and "async" in str(exc):
        return StartupError(f"{name} {shown!r} names a driver that is not asyncio-based.", f"Give {URL_EXAMPLES}.")
    path = _sqlite_path(settings.database)
    if path is not None and isinstance(exc, sa_exc.DBAPIError):
        return _sqlite_error(path, str(exc.orig), name)
    if isinstance(exc, OSError | TimeoutError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        return StartupError(
            f"cannot reach the database server of {shown}: {reason}.",
            f"Start the server, or check host, port and credentials in {name}.",
        )
    if isinstance(exc, sa_exc.DBAPIError) or type(exc).__module__.startswith("asyncpg"):
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        return StartupError(
            f"the database {shown} refused the simulator: {reason}.",
            f"Check the user, password and database name in {name}.",
        )
    return None


def explain(exc: BaseException, settings: Settings, flags: Collection[str]) -> StartupError | None:
    """Any start-up failure of `settings` as a `StartupError`, or None for a bug."""
    if isinstance(exc, StartupError):
        return exc
    if isinstance(exc, PartnersConfigError):
        return config_error(exc, flags)
    if isinstance(exc, ScenarioFileError):
        return scenarios_error(exc, flags)
    from simulator.runtime import SeededInstancesError

    if isinstance(exc, SeededInstancesError):
        problem, _, remedy = str(exc).partition(": seeded instances")
        return StartupError(problem, f"Seeded instances{remedy}.")
    return database_error(exc, settings, flags)
