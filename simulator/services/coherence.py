"""Keeping one instance's caches and mirrors in step with the database every instance shares.

What an instance keeps in memory (cached submissions, sessions and session scripts, the partners, the
revoked token ids, the clock) mirrors rows of the database. Each committed change is announced:

- PostgreSQL: NOTIFY on one channel (`simulator.store.changes`), heard by a dedicated asyncpg
  connection per instance (LISTEN), which drops or reloads exactly what changed, within milliseconds.
  While that connection is down, every `sync_interval_seconds` (<= 1 s) all caches are dropped and the
  mirrors reloaded (bounded staleness), and the listener is reconnected.
- SQLite: a file shared by several processes. Every `sync_interval_seconds` this instance reads
  `PRAGMA data_version` on a connection of its own; when it moved and another live instance is
  registered, everything is dropped and reloaded. An instance alone on its file (the default) skips
  this, so its status poll never leaves memory on a cache hit.

The same loop is the instance's heartbeat: its `instances` row and the leases of the jobs it runs are
extended every third of `job_lease_seconds`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection

from simulator.partners import Partner
from simulator.services.context import Services
from simulator.services.control import clock as shared_clock
from simulator.store import changes, shared
from simulator.store.admin_queries import revoked_jtis

log = logging.getLogger("simulator.coherence")


class Coherence:
    """The listener, the fallback poll and the heartbeat of one instance."""

    def __init__(self, svc: Services) -> None:
        self._svc = svc
        self._postgres = svc.repo.engine.dialect.name == "postgresql"
        self._listener: Any = None  # an asyncpg connection
        self._task: asyncio.Task[None] | None = None
        self._sqlite_conn: AsyncConnection | None = None
        self._data_version: int | None = None
        self._shared = False
        self._jobs_changed = asyncio.Event()
        self._reloads: set[asyncio.Task[None]] = set()

    @property
    def listening(self) -> bool:
        return self._listener is not None and not self._listener.is_closed()

    async def start(self) -> None:
        if self._postgres:
            await self._listen()
        await self._beat()
        await self.reload_all()
        self._task = asyncio.create_task(self._loop(), name="onekyc-coherence")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._reloads):
            task.cancel()
        await asyncio.gather(*self._reloads, return_exceptions=True)
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None
        if self._sqlite_conn is not None:
            await self._sqlite_conn.close()
            self._sqlite_conn = None

    async def wait_jobs_changed(self, within: float) -> None:
        """Until another instance adds, finishes or releases a job, or `within` seconds pass."""
        self._jobs_changed.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._jobs_changed.wait()

    # -- applying changes -------------------------------------------------------------------------

    def apply(self, payload: str) -> None:
        """One notification of another instance."""
        origin, topic, key = changes.parse(payload)
        if origin == self._svc.repo.instance_id:
            return
        repo = self._svc.repo
        if topic == "sub":
            repo.drop_submission(key)
        elif topic == "session":
            repo.drop_session(key)
        elif topic == "script":
            repo.drop_script(key)
        elif topic == "reset":
            repo.forget()
        elif topic == "revoked":
            self._svc.tokens.revoke(key)
        elif topic == "clock":
            self._svc.clock.apply(*shared_clock.parse_clock_payload(key))
        elif topic == "partners":
            self._spawn(self.reload_partners())
        elif topic == "jobs":
            self._jobs_changed.set()
            self._svc.wake_scheduler()

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._reloads.add(task)
        task.add_done_callback(self._reloads.discard)

    async def reload_partners(self) -> None:
        partners: dict[str, Partner] = {}
        for stored in await self._svc.repo.list_partners():
            try:
                partner = Partner.model_validate(stored)
            except ValidationError:
                continue
            partners[partner.client_id] = partner
        self._svc.partners.clear()
        self._svc.partners.update(partners)

    async def reload_all(self) -> None:
        """Drop every cache and reload every mirror from the database (a change may have been missed)."""
        self._svc.repo.forget()
        await shared_clock.reload(self._svc)
        await self.reload_partners()
        self._svc.tokens.load_revoked(await revoked_jtis(self._svc.repo))
        self._jobs_changed.set()
        self._svc.wake_scheduler()

    # -- the loop ---------------------------------------------------------------------------------

    async def _listen(self) -> None:
        import asyncpg  # the postgres extra

        url = make_url(self._svc.settings.database_url).set(drivername="postgresql")
        try:
            self._listener = await asyncpg.connect(url.render_as_string(hide_password=False))
            await self._listener.add_listener(changes.CHANNEL, lambda _c, _p, _ch, payload: self.apply(payload))
        except Exception as exc:
            log.warning("no change listener; polling instead", extra={"error": repr(exc)})
            self._listener = None

    async def _beat(self) -> None:
        svc = self._svc
        wall = svc.clock.wall()
        async with svc.repo.write() as conn:
            await shared.heartbeat_instance(conn, svc.repo.instance_id, wall)
        await svc.repo.extend_leases(wall, svc.settings.job_lease_seconds)
        since = wall - svc.settings.job_lease_seconds
        self._shared = bool(await shared.other_live_instances(svc.repo.engine, svc.repo.instance_id, since))

    async def _sqlite_moved(self) -> bool:
        if self._sqlite_conn is None:
            self._sqlite_conn = await self._svc.repo.engine.connect()
        version = (await self._sqlite_conn.execute(text("PRAGMA data_version"))).scalar()
        await self._sqlite_conn.rollback()
        moved = version != self._data_version  # also the first look: changes before it were unseen
        self._data_version = int(version or 0)
        return moved

    async def _loop(self) -> None:
        settings = self._svc.settings
        beat_every = settings.job_lease_seconds / 3
        loop = asyncio.get_running_loop()
        last_beat = loop.time()
        while True:
            await asyncio.sleep(settings.sync_interval_seconds)
            try:
                if loop.time() - last_beat >= beat_every:
                    last_beat = loop.time()
                    await self._beat()
                if self._postgres:
                    if not self.listening:
                        await self._listen()
                        await self.reload_all()
                elif self._shared and await self._sqlite_moved():
                    await self.reload_all()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("coherence pass failed")
