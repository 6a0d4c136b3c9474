"""A throwaway PostgreSQL cluster for tests: initdb into a temp dir, served on 127.0.0.1 on a free port.

Debian's server binaries live in /usr/lib/postgresql/<version>/bin. PostgreSQL refuses to run as root,
so under root the cluster belongs to the `postgres` system user and every binary runs as that user.
Databases are made from a template (`CREATE DATABASE … TEMPLATE …`), which takes milliseconds.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import make_url

from simulator.testing_server import free_port

POSTGRES_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"


def server_binaries() -> Path | None:
    """The bin directory of the newest PostgreSQL installed the Debian way, or None."""
    found = sorted(
        (p for p in POSTGRES_ROOT.glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return found[-1] if found else None


def _as_owner(command: Sequence[str]) -> list[str]:
    if os.geteuid() != 0:
        return list(command)
    return ["runuser", "-u", SUPERUSER, "--", *command]


@dataclass
class Cluster:
    """A running cluster; `url(name)` is the SQLAlchemy async URL of one of its databases."""

    bin: Path
    data: Path
    port: int

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, template: str = "template0") -> str:
        return create_database(self.url("postgres"), name, template)


def create_database(server_url: str, name: str, template: str = "template0") -> str:
    """`CREATE DATABASE name TEMPLATE template` on the server of `server_url`; the new database's URL.

    Runs on an event loop of its own in a worker thread, so sync fixtures may call it at any time.
    """
    import asyncpg  # the postgres extra

    url = make_url(server_url)

    async def create() -> None:
        conn = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False))
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            await conn.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, create()).result()
    return url.set(database=name).render_as_string(hide_password=False)


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """Start a cluster (fsync off: it is thrown away) and stop and delete it afterwards."""
    bin_dir = server_binaries()
    if bin_dir is None:
        raise RuntimeError(f"no PostgreSQL server binaries under {POSTGRES_ROOT} (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="onekyc-pg-"))
    data, port = root / "data", free_port()
    if os.geteuid() == 0:
        account = pwd.getpwnam(SUPERUSER)
        os.chown(root, account.pw_uid, account.pw_gid)
    try:
        subprocess.run(
            _as_owner(
                [str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync"]
            ),
            check=True,
            capture_output=True,
        )
        options = f"-h 127.0.0.1 -p {port} -k {root} -c max_connections=400 -c fsync=off"
        options += " -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run(
            _as_owner(
                [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-o", options, "-w", "start"]
            ),
            check=True,
            capture_output=True,
        )
        try:
            yield Cluster(bin_dir, data, port)
        finally:
            subprocess.run(
                _as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                check=False,
                capture_output=True,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
